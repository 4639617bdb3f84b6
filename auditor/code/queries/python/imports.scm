; Imports bind local names to qualified ones: `import requests as r`, `from httpx import AsyncClient`,
; `from opentelemetry.instrumentation.flask import FlaskInstrumentor`, `import ddtrace.auto`.
(import_statement) @import
(import_from_statement) @import
