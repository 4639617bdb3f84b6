; Module imports, so a local name can be traced to its package: `import axios from 'axios'`,
; `import { Pool } from 'pg'`, `import 'dd-trace/init'`, TypeScript's `import pg = require('pg')` (its source
; is read in javascript.py: that clause is not in the JavaScript grammar), `require('pg')` (wherever it appears).
(import_statement) @import

(call_expression
  function: (identifier) @require
  arguments: (arguments . (string) @source)
  (#eq? @require "require")) @import
