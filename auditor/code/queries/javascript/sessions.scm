; Session middleware: `session({...})` (express-session, koa-session, cookie-session) and plugin
; registrations (`fastify.register(fastifySession, {...})`).
(call_expression
  function: [(identifier) (member_expression)] @function
  arguments: (arguments) @args) @session
