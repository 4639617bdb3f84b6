; Marks of code that runs in a browser: JSX, `import.meta.env`, `window.`/`document.`/`localStorage.`,
; and the directive "use client".
[(jsx_element) (jsx_self_closing_element)] @jsx

(member_expression object: (identifier) @global
  (#match? @global "^(window|document|localStorage|sessionStorage|navigator)$")) @dom

(expression_statement . (string (string_fragment) @directive) (#match? @directive "^use (client|server)$"))
