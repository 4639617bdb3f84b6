; What names in this file stand for: fields, locals and parameters with their declared type, assignments
; to a name or to `this.name`, and method calls made on a name (setters on a builder, a factory, a connection).
(field_declaration type: (_) @type declarator: (variable_declarator name: (identifier) @name)) @field
(local_variable_declaration type: (_) @type declarator: (variable_declarator name: (identifier) @name)) @local
(formal_parameter type: (_) @type name: (identifier) @name) @param
(assignment_expression left: (identifier) @name right: (_) @value) @assign
(assignment_expression left: (field_access object: (this) field: (identifier) @name) right: (_) @value) @assign
(method_invocation object: (identifier) @name name: (identifier) @method) @use
(method_invocation object: (field_access object: (this) field: (identifier) @name) name: (identifier) @method) @use
(method_declaration name: (identifier) @name) @method_decl
(import_declaration) @import
; A name handed to a same-file helper (`configure(factory)`): the helper may configure it.
(method_invocation !object name: (identifier) @helper arguments: (argument_list (identifier) @argument)) @helper_call
(method_invocation object: (this) name: (identifier) @helper arguments: (argument_list (identifier) @argument)) @helper_call
