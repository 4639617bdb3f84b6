; Database connections and pools: constructions (`new Pool()`, `new PrismaClient()`) and factory calls
; (`mysql.createPool()`, `mongoose.connect()`, `require('knex')({...})`); javascript.py keeps those of a known package.
(new_expression constructor: (_) @function) @connect

(call_expression
  function: [(identifier) (member_expression) (call_expression)] @function
  arguments: (arguments)) @connect
