; Functions and classes, for handlers (decorators, Django views, class-based views), the enclosing
; function of a call and the retry/circuit-breaker decorators on it, and same-file callees.
(function_definition
  name: (identifier) @name
  parameters: (parameters) @parameters) @function
(class_definition
  name: (identifier) @name) @class
(decorated_definition
  (decorator)+ @decorator
  definition: (_) @decorated)
; `global conn` in a function: a connection it stores there outlives the call (a lazily created singleton).
(global_statement (identifier) @global) @global_statement
