; Request handlers.
; Spring MVC / WebFlux: `@*Mapping` methods (and `@ModelAttribute`/`@ExceptionHandler`, which run per request)
; of `@RestController`/`@Controller`/`@ControllerAdvice` classes; Micronaut `@Get`/`@Post` methods of `@Controller`s.
((class_declaration
   (modifiers [(annotation name: (identifier) @class_annotation) (marker_annotation name: (identifier) @class_annotation)])
   body: (class_body
     (method_declaration
       (modifiers [(annotation name: (identifier) @annotation) (marker_annotation name: (identifier) @annotation)])
       name: (identifier) @name) @handler))
 (#any-of? @class_annotation "RestController" "Controller" "ControllerAdvice" "RestControllerAdvice")
 (#any-of? @annotation "GetMapping" "PostMapping" "PutMapping" "DeleteMapping" "PatchMapping" "RequestMapping"
   "ModelAttribute" "ExceptionHandler" "Get" "Post" "Put" "Delete" "Patch"))
; JAX-RS (also Quarkus, Helidon, Dropwizard): resource methods of classes.
((class_declaration
   body: (class_body
     (method_declaration
       (modifiers [(annotation name: (identifier) @jaxrs) (marker_annotation name: (identifier) @jaxrs)])
       name: (identifier) @name) @handler))
 (#any-of? @jaxrs "GET" "POST" "PUT" "DELETE" "PATCH" "HEAD" "OPTIONS"))
; Servlets: `doGet`/`doPost`/… of an `HttpServlet` subclass.
((class_declaration
   superclass: (superclass [(type_identifier) @super (scoped_type_identifier (type_identifier) @super .)])
   body: (class_body (method_declaration name: (identifier) @name) @handler))
 (#eq? @super "HttpServlet")
 (#any-of? @name "doGet" "doPost" "doPut" "doDelete" "doPatch" "doHead" "service"))
; A `@RestController` that implements its API interface (the mappings sit on the interface, often in another
; module): its public `@Override` methods are the handlers (java.py drops `toString` and the like).
((class_declaration
   (modifiers [(annotation name: (identifier) @class_annotation) (marker_annotation name: (identifier) @class_annotation)])
   interfaces: (super_interfaces)
   body: (class_body
     (method_declaration
       (modifiers (marker_annotation name: (identifier) @implemented) "public")
       name: (identifier) @name) @handler))
 (#eq? @class_annotation "RestController")
 (#eq? @implemented "Override"))
