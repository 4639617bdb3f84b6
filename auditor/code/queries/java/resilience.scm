; What bounds a call besides its client: Resilience4j / Spring Retry / Hystrix / MicroProfile annotations on
; the calling method or class, and gRPC deadlines on a stub.
((method_declaration
   (modifiers [(annotation name: (identifier) @annotation) (marker_annotation name: (identifier) @annotation)] @mark)) @scope
 (#any-of? @annotation "CircuitBreaker" "Retry" "TimeLimiter" "Retryable" "HystrixCommand" "Timeout"))
((class_declaration
   (modifiers [(annotation name: (identifier) @annotation) (marker_annotation name: (identifier) @annotation)] @mark)) @scope
 (#any-of? @annotation "CircuitBreaker" "Retry" "TimeLimiter" "Retryable" "HystrixCommand" "Timeout"))
((method_invocation name: (identifier) @deadline) @stub
 (#any-of? @deadline "withDeadlineAfter" "withDeadline"))
((method_invocation name: (identifier) @stubs) @stub_created
 (#any-of? @stubs "newBlockingStub" "newStub" "newFutureStub" "newBlockingV2Stub"))
