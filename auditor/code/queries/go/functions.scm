; Function units: declarations, methods (with their receiver) and function literals, with their parameters.
(function_declaration name: (identifier) @name parameters: (parameter_list) @params) @function
(method_declaration receiver: (parameter_list) @receiver name: (field_identifier) @name
  parameters: (parameter_list) @params) @function
(func_literal parameters: (parameter_list) @params) @literal
