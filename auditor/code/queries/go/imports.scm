; Imports: `import x "path"`, `import _ "github.com/lib/pq"` (a database driver), `import "net/http"`.
(import_spec
  name: (_)? @alias
  path: (interpreted_string_literal (interpreted_string_literal_content) @path))
