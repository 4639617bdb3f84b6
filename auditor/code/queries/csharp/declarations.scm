; Names and their declared types (fields, locals, parameters, properties), so `_client.GetAsync(...)` is known
; to be a call on an HttpClient; and values given to names (`_url = configuration["CatalogUrl"]`).
; A declaration is one match, its declarators read in the extractor: a pattern per declarator made one match for
; each name of `int a, b, …` (hundreds of thousands in a hostile file).
(variable_declaration
  type: (_) @type) @declaration

(parameter
  type: (_) @type
  name: (identifier) @name)

(property_declaration
  type: (_) @type
  name: (identifier) @name)
