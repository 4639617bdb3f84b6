; Tracing set up in code: SDK constructions (`new NodeSDK()`, `new NodeTracerProvider()`, exporters) and
; initialisation calls (`tracer.init()`, `apm.start()`, `Sentry.init({...})`, `registerInstrumentations()`).
(new_expression constructor: (_) @function) @tracing

(call_expression function: (_) @function arguments: (arguments) @args) @tracing
