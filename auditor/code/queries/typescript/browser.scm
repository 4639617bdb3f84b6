; Marks of code that runs in a browser (TypeScript has no JSX; see ../javascript/browser.scm).
(member_expression object: (identifier) @global
  (#match? @global "^(window|document|localStorage|sessionStorage|navigator)$")) @dom

(expression_statement . (string (string_fragment) @directive) (#match? @directive "^use (client|server)$"))
