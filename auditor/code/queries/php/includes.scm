; Files a script pulls in (`require_once __DIR__ . '/db.php';`): the included file's top-level code runs where it
; is included, so graph/per_request.py follows a served script into it.
[(include_expression) (include_once_expression) (require_expression) (require_once_expression)] @include
