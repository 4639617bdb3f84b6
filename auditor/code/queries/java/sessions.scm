; Session state: an `HttpSession`/`WebSession` parameter, `request.getSession()`, JSF's session map,
; `@SessionAttributes`, session-scoped beans (Spring, CDI), Spring Session's `@Enable…HttpSession`, and an in-memory session repository.
((formal_parameter type: [(type_identifier) @type (scoped_type_identifier (type_identifier) @type .)]) @use
 (#any-of? @type "HttpSession" "WebSession"))
; Anchored on the method's name, not on the `method_invocation`: a pattern on the invocation stays pending
; while tree-sitter walks its receiver, which makes long call chains (`a.b().c()…`, thousands deep) quadratic.
; java.py checks that the name is the `name` of a method_invocation.
((identifier) @method
 (#any-of? @method "getSession" "getSessionMap"))
([(annotation name: (identifier) @annotation) (marker_annotation name: (identifier) @annotation)] @mark
 (#any-of? @annotation "SessionAttributes" "SessionScope" "SessionScoped" "EnableRedisHttpSession" "EnableRedisIndexedHttpSession"
   "EnableJdbcHttpSession" "EnableHazelcastHttpSession" "EnableMongoHttpSession" "EnableRedisWebSession"
   "EnableMongoWebSession" "Scope"))
((object_creation_expression type: [(type_identifier) @repository (generic_type (type_identifier) @repository)]) @store
 (#any-of? @repository "MapSessionRepository" "ReactiveMapSessionRepository"))
