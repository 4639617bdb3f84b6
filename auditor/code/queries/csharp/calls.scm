; Every method invocation `receiver.Method(args)` / `receiver.Method<T>(args)` and `Method(args)`: the extractor
; picks the client, registration, connection, session and tracing calls from them by name.
; @call the invocation, @object the receiver, @method the method's name node, @args the argument list.
(invocation_expression
  function: (member_access_expression
    expression: (_) @object
    name: (_) @method)
  arguments: (argument_list) @args) @call

(invocation_expression
  function: (identifier) @method
  arguments: (argument_list) @args) @call

(invocation_expression
  function: (generic_name) @method
  arguments: (argument_list) @args) @call
