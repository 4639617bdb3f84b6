; Request handlers: route registrations (`app.get('/x', fn)`, `router.post(...)`, `fastify.route({...})`,
; `app.use(fn)`), `http.createServer(fn)`, methods that may carry route decorators (NestJS), and exported functions (Next.js, Lambda).
(call_expression
  function: (member_expression
    object: (_) @receiver
    property: (property_identifier) @method)
  arguments: (arguments) @args
  (#match? @method "^(get|post|put|patch|delete|del|head|options|all|use|route)$")) @route

(call_expression
  function: (member_expression property: (property_identifier) @create)
  arguments: (arguments) @args
  (#eq? @create "createServer")) @server

(method_definition name: (_) @name) @method

(export_statement) @export

(assignment_expression
  left: (member_expression) @name
  right: [(arrow_function) (function_expression)] @value) @export
