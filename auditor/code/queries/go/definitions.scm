; What a name holds, for the filters that follow a client, a context or an address back to where it was made.
; @left/@right: `a, b := f()`, `a = b`; @name/@value: `var x = …`, `const x = …`; @key/@field_value: a
; field in a composite literal (`&http.Client{Timeout: …}`, `&Server{client: …}`); @field/@field_type: a
; struct field's declared type (`client *http.Client`), @embedded an embedded type (`pb.UnimplementedXServer`).
(short_var_declaration left: (expression_list) @left right: (expression_list) @right) @define
(assignment_statement left: (expression_list) @left right: (expression_list) @right) @assign
(var_spec name: (identifier) @name type: (_)? @type value: (expression_list)? @value) @var
(const_spec name: (identifier) @name value: (expression_list)? @value) @const
(keyed_element key: (literal_element (identifier) @key) value: (literal_element (_) @field_value)) @keyed
(field_declaration name: (field_identifier) @field type: (_) @field_type) @struct_field
(field_declaration . type: (_) @embedded .) @embedding
