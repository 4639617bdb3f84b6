; Scopes for name lookup and for "which method is this in": methods, constructors and class bodies. java.py
; indexes their byte ranges once, so a lookup never walks up the tree (tree-sitter finds a node's parent by
; descending from the root, which is slow in deeply nested files).
(method_declaration) @function
(constructor_declaration) @function
(compact_constructor_declaration) @function
(class_body) @body
(interface_body) @body
(enum_body) @body
