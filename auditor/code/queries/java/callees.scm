; Same-file calls: `helper()`, `this.helper()`, `this::helper`.
(method_invocation !object name: (identifier) @callee) @call
(method_invocation object: (this) name: (identifier) @callee) @call
(method_reference (this) (identifier) @callee) @call
