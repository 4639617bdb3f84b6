; Route registrations: `http.HandleFunc("/x", h)`, `mux.Handle("/x", http.HandlerFunc(s.h))`, gin/echo `r.GET`,
; chi/fiber `r.Get`, gorilla/mux `r.HandleFunc(…).Methods(…)`; the first argument is the path.
(call_expression
  function: (selector_expression field: (field_identifier) @method
    (#any-of? @method "HandleFunc" "Handle" "GET" "POST" "PUT" "PATCH" "DELETE" "HEAD" "OPTIONS" "Any"
      "Get" "Post" "Put" "Patch" "Delete" "Head" "Options" "All" "Method" "MethodFunc" "Connect" "Trace"))
  arguments: (argument_list . (interpreted_string_literal) @path)) @route
; gRPC services: `pb.RegisterUsersServiceServer(server, impl)`.
(call_expression
  function: (selector_expression field: (field_identifier) @register (#match? @register "^Register.+Server$"))
  arguments: (argument_list (_) . (_) @impl .)) @grpc_register
