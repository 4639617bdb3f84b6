; `new T(args) { init }`: HttpClient, ADO.NET connections, MongoClient, CancellationTokenSource, Uri.
(object_creation_expression
  type: (_) @type
  arguments: (argument_list)? @args
  initializer: (initializer_expression)? @init) @new
