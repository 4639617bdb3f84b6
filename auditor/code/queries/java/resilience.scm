; What bounds a call besides its client: Resilience4j / Spring Retry / Hystrix / MicroProfile annotations on
; the calling method or class, and gRPC deadlines on a stub.
((method_declaration
   (modifiers [(annotation name: (identifier) @annotation) (marker_annotation name: (identifier) @annotation)] @mark)) @scope
 (#any-of? @annotation "CircuitBreaker" "Retry" "TimeLimiter" "Retryable" "HystrixCommand" "Timeout"))
((class_declaration
   (modifiers [(annotation name: (identifier) @annotation) (marker_annotation name: (identifier) @annotation)] @mark)) @scope
 (#any-of? @annotation "CircuitBreaker" "Retry" "TimeLimiter" "Retryable" "HystrixCommand" "Timeout"))
; Anchored on the method's name, not on the `method_invocation`: a pattern on the invocation stays pending
; while tree-sitter walks its receiver, which makes long call chains (`a.b().c()…`, thousands deep) quadratic.
; java.py checks that the name is the `name` of a method_invocation.
((identifier) @deadline
 (#any-of? @deadline "withDeadlineAfter" "withDeadline"))
((identifier) @stubs
 (#any-of? @stubs "newBlockingStub" "newStub" "newFutureStub" "newBlockingV2Stub"))
