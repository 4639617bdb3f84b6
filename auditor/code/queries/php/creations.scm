; `new Cls(args)`: PDO, mysqli, Redis, Guzzle and Predis clients, OpenTelemetry providers.
(object_creation_expression
  [(name) (qualified_name)] @type
  (arguments)? @args) @new
