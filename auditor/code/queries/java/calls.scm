; Outbound calls, by the client method that sends the request: RestTemplate, WebClient/RestClient request
; methods, OkHttp `newCall`, Apache HttpClient `execute`, java.net.http `send`, URL `openConnection`, gRPC
; channel builders, Vert.x WebClient requests, JAX-RS client `target(…)`. The receiver's type is checked in
; java.py (it needs the file's declarations).
; Anchored on the method's name, not on the `method_invocation`: a pattern on the invocation stays pending
; while tree-sitter walks its receiver, which makes long call chains (`a.b().c()…`, thousands deep) quadratic.
; java.py checks that the name is the `name` of a method_invocation.
((identifier) @method
 (#any-of? @method
   "getForObject" "getForEntity" "postForObject" "postForEntity" "postForLocation" "put" "patchForObject"
   "delete" "exchange" "execute" "headForHeaders" "optionsForAllow"
   "get" "post" "patch" "head" "options" "method"
   "getAbs" "postAbs" "putAbs" "patchAbs" "deleteAbs" "headAbs" "request" "requestAbs"
   "target"
   "newCall" "send" "sendAsync" "openConnection" "openStream"
   "forAddress" "forTarget" "newChannelBuilder" "newChannelBuilderForAddress"))
