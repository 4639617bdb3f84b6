; Every call: `pkg.Func(…)`, `client.Do(req)`, `s.client.R().Get(url)`, `helper(…)`. The Go filter (go.py) reads
; the callee's package (by import path), the receiver's origin and the arguments; @function is the callee.
(call_expression function: (_) @function arguments: (argument_list) @args) @call
