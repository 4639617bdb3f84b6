; Methods and local functions, with their class (controller actions, gRPC service overrides, Razor Pages
; handlers are decided from the class's bases and attributes in the extractor).
(method_declaration
  name: (identifier) @name) @method

(local_function_statement
  name: (identifier) @name) @method
