; Declarative HTTP clients: an interface annotated as a client, whose methods each declare one call.
; OpenFeign `@FeignClient(name = "orders")`, Micronaut `@Client("http://orders")`, MicroProfile
; `@RegisterRestClient(configKey = "orders")`.
((interface_declaration
   (modifiers [(annotation name: (identifier) @annotation) (marker_annotation name: (identifier) @annotation)] @client)
   body: (interface_body (method_declaration) @method))
 (#any-of? @annotation "FeignClient" "Client" "RegisterRestClient"))
; grpc-spring-boot-starter: `@GrpcClient("orders") OrdersGrpc.OrdersBlockingStub stub;` (the address is config:
; `grpc.client.orders.address`).
((field_declaration
   (modifiers (annotation name: (identifier) @grpc_client) @grpc_mark)) @grpc_field
 (#eq? @grpc_client "GrpcClient"))
