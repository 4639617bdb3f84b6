; Function-like nodes: each is a scope, and a named one is a node of the same-file call graph.
[
  (function_declaration)
  (generator_function_declaration)
  (function_expression)
  (arrow_function)
  (method_definition)
] @function
