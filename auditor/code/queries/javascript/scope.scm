; What a file binds, in one pass over its tree (javascript.py reads functions first, then imports, then the
; bindings, which are scoped by the functions around them).
;
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

; Module imports, so a local name can be traced to its package: `import axios from 'axios'`,
; `import { Pool } from 'pg'`, `import 'dd-trace/init'`, TypeScript's `import pg = require('pg')` (its source
; is read in javascript.py: that clause is not in the JavaScript grammar), `require('pg')` (wherever it appears).
(import_statement) @import

(call_expression
  function: (identifier) @require
  arguments: (arguments . (string) @source)
  (#eq? @require "require")) @import

; Names bound to values: `const api = axios.create(...)`, `pool = new Pool()`, `this.client = ...`,
; `api.defaults.timeout = 5000`, and class bodies (their fields: `private http = axios.create()`).
(variable_declarator name: (_) @name value: (_) @value) @binding

(assignment_expression left: (_) @name right: (_) @value) @binding

(class_body) @class
