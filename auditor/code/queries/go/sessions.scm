; Session stores: gorilla/sessions `sessions.NewFilesystemStore`/`NewCookieStore`, redistore, gin-contrib/sessions
; `memstore.NewStore`, `cookie.NewStore`, `redis.NewStore`, …; alexedwards/scs `scs.New()`; fiber `session.New()`.
(call_expression
  function: (selector_expression operand: (identifier) @package field: (field_identifier) @function
    (#any-of? @function "NewFilesystemStore" "NewCookieStore" "NewRediStore" "NewRediStoreWithDB"
      "NewRediStoreWithPool" "NewStore" "NewStoreWithDB" "NewStoreWithPool" "New" "NewMemoryStore"))) @session
