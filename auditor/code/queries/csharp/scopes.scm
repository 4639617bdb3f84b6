; What encloses code: methods, constructors, local functions, accessors, lambdas (whose name a call or a
; connection is made in) and classes (controllers, gRPC services, Razor pages).
[(method_declaration) (constructor_declaration) (local_function_statement) (accessor_declaration)
 (operator_declaration) (lambda_expression) (anonymous_method_expression)] @scope
(class_declaration) @class
