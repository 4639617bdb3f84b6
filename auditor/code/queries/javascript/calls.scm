; Every call and construction: outbound HTTP/gRPC clients are told apart in javascript.py by the package the
; callee comes from (axios, fetch, got, …), which a query cannot trace through imports and bindings.
(call_expression function: (_) @function arguments: (_) @args) @call

(new_expression constructor: (_) @function) @call
