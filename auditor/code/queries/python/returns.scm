; What a function returns, so a client made by a local factory (`def make_session(): s = requests.Session();
; s.mount(...); return s`) is known where the factory is called.
(return_statement (_) @value) @return
