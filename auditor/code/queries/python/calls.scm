; Outbound HTTP calls: `requests.get(url, ...)`, `httpx.post(...)`, `session.get(...)`, `client.request(...)`.
; @call is the whole call, @client the object the method is called on, @method the method, @args its arguments.
(call
  function: (attribute
    object: (_) @client
    attribute: (identifier) @method)
  arguments: (argument_list) @args) @call
