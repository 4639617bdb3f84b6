; Functions and methods (with their attributes, for Symfony `#[Route]`), and what marks a file as a script
; served per request: output (`echo`, `print`, inline HTML) and request input (`$_GET`, `$_POST`, …).
(function_definition
  name: (name) @name) @function

(method_declaration
  name: (name) @name) @function

(echo_statement) @output

(print_intrinsic) @output

(text) @output

(variable_name
  (name) @superglobal
  (#match? @superglobal "^_(GET|POST|REQUEST|COOKIE|FILES|SERVER|SESSION)$"))
