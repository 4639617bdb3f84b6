; `x = value` and `this.x = value` (the value a name is given, read for targets and timeouts).
(assignment_expression
  left: (_) @left
  right: (_) @right) @assign
