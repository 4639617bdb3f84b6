; Every call: `f(args)`, `$obj->m(args)`, `$obj?->m(args)`, `Cls::m(args)`; the extractor reads the name,
; receiver or class and arguments from the fields and picks HTTP, database, session and tracing calls by name.
; No child constraints on purpose: a pattern waiting for a child after a deep first child keeps one partial
; match per enclosing call, and a long chain of calls would cost the square of its length.
[(function_call_expression) (member_call_expression) (nullsafe_member_call_expression)
 (scoped_call_expression)] @call
