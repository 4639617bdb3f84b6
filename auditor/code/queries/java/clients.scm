; Declarative HTTP clients: an interface annotated as a client, whose methods each declare one call.
; OpenFeign `@FeignClient(name = "orders")`, Micronaut `@Client("http://orders")`, MicroProfile
; `@RegisterRestClient(configKey = "orders")`.
; The annotations and methods are read in java.py: a pattern naming both made one match per pair, and an
; interface of N annotations kept N matches in progress over the whole interface (quadratic).
(interface_declaration (modifiers) body: (interface_body)) @interface
; grpc-spring-boot-starter: `@GrpcClient("orders") OrdersGrpc.OrdersBlockingStub stub;` (the address is config:
; `grpc.client.orders.address`).
((field_declaration
   (modifiers (annotation name: (identifier) @grpc_client) @grpc_mark)) @grpc_field
 (#eq? @grpc_client "GrpcClient"))
