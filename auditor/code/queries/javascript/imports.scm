; Module imports, so a local name can be traced to its package: `import axios from 'axios'`,
; `import { Pool } from 'pg'`, `import 'dd-trace/init'`, `require('pg')` (wherever it appears).
(import_statement source: (string) @source) @import

(call_expression
  function: (identifier) @require
  arguments: (arguments . (string) @source)
  (#eq? @require "require")) @import
