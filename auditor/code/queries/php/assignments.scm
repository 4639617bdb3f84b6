; `$x = value`, `$this->x = value`: the value a variable or property is given (handles, clients, URLs).
(assignment_expression
  left: (_) @left
  right: (_) @right) @assign
