; Tracing set up in code: OpenTelemetry SDK providers and exporters, Brave (Zipkin), Jaeger, Datadog,
; Elastic APM's attacher, Sentry with tracing, and OpenTelemetry library instrumentation of a client.
((method_invocation object: (identifier) @class name: (identifier) @method) @setup
 (#any-of? @class "OpenTelemetrySdk" "SdkTracerProvider" "AutoConfiguredOpenTelemetrySdk" "OtlpGrpcSpanExporter"
   "OtlpHttpSpanExporter" "JaegerGrpcSpanExporter" "ZipkinSpanExporter" "Tracing" "Configuration" "DDTracer"
   "ElasticApmAttacher" "GlobalTracer" "Sentry" "AsyncZipkinSpanHandler" "AsyncReporter" "OkHttpTelemetry"
   "SpringWebTelemetry" "SpringWebfluxTelemetry" "JavaHttpClientTelemetry" "ApacheHttpClientTelemetry"
   "GrpcTelemetry" "JdbcTelemetry" "OpenTelemetryDriver"))
((object_creation_expression type: [(type_identifier) @type (scoped_type_identifier) @type]) @setup
 (#any-of? @type "JaegerTracer.Builder" "DDTracer" "DDTracer.DDTracerBuilder"))
