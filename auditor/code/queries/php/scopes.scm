; What encloses code: functions, methods, closures, arrow functions (variable scopes) and classes (`$this`).
[(function_definition) (method_declaration) (anonymous_function) (arrow_function)] @scope
[(class_declaration) (trait_declaration)] @class
