; Outbound calls, by the client method that sends the request: RestTemplate, WebClient/RestClient request
; methods, OkHttp `newCall`, Apache HttpClient `execute`, java.net.http `send`, URL `openConnection`, and
; gRPC channel builders; Vert.x WebClient requests; JAX-RS client `target(…)`. The receiver's type is checked in java.py (it needs the file's declarations).
((method_invocation
   name: (identifier) @method
   arguments: (argument_list) @args) @call
 (#any-of? @method
   "getForObject" "getForEntity" "postForObject" "postForEntity" "postForLocation" "put" "patchForObject"
   "delete" "exchange" "execute" "headForHeaders" "optionsForAllow"
   "get" "post" "patch" "head" "options" "method"
   "getAbs" "postAbs" "putAbs" "patchAbs" "deleteAbs" "headAbs" "request" "requestAbs"
   "target"
   "newCall" "send" "sendAsync" "openConnection" "openStream"
   "forAddress" "forTarget" "newChannelBuilder"))
