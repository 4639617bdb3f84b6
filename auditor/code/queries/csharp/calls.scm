; Every method invocation `receiver.Method(args)`, `receiver.Method<T>(args)`, `Method(args)`: the extractor
; reads its receiver, name and arguments (fields `function`, `arguments`) and picks the client, registration,
; connection, session and tracing calls by name. The pattern has no child constraints on purpose: a pattern
; that waits for a child after a deep first child keeps one partial match per enclosing call, and a long fluent
; chain would cost the square of its length.
(invocation_expression) @call
