; Every call expression: `requests.get(url, timeout=5)`, `psycopg2.connect(...)`, `TracerProvider()`,
; `Session(app)`. Which library a call belongs to needs the file's imports and variables, so python.py
; resolves @function to a qualified name and decides the fact (outbound call, connect, session, tracing).
; @call is the whole call, @function the callee expression, @args its arguments.
(call
  function: (_) @function
  arguments: (argument_list) @args) @call
