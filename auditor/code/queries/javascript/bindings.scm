; Names bound to values: `const api = axios.create(...)`, `pool = new Pool()`, `this.client = ...`,
; `api.defaults.timeout = 5000`, and class bodies (their fields: `private http = axios.create()`).
(variable_declarator name: (_) @name value: (_) @value) @binding

(assignment_expression left: (_) @name right: (_) @value) @binding

(class_body) @class
