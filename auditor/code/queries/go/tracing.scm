; Tracing set up in code: every call of a package function (`sdktrace.NewTracerProvider`, `otelhttp.NewHandler`,
; `tracer.Start`, `instana.InitCollector`, …); the filter knows which import paths and names are tracing.
(call_expression
  function: (selector_expression operand: (identifier) @package field: (field_identifier) @function)) @tracing
