; Function-like nodes: each is a scope, and a named one is a node of the same-file call graph. The name comes
; from the declaration or from what the function is bound to (`const f = () => …`, `const f = wrap(async () =>
; …)`, `exports.f = function …`, `{ f: () => … }`), so no parent of a node needs to be looked up.
(function_declaration name: (_) @name) @function
(generator_function_declaration name: (_) @name) @function
(method_definition name: (_) @name) @function

(variable_declarator
  name: (identifier) @name
  value: [(arrow_function) (function_expression)] @function)

(variable_declarator
  name: (identifier) @name
  value: (call_expression arguments: (arguments [(arrow_function) (function_expression)] @function)))

(assignment_expression
  left: [(identifier) @name (member_expression property: (property_identifier) @name)]
  right: [(arrow_function) (function_expression)] @function)

(pair
  key: (property_identifier) @key
  value: [(arrow_function) (function_expression)] @function)

[(function_expression) (arrow_function)] @function
