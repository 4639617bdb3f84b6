; Names and their declared types (fields, locals, parameters, properties), so `_client.GetAsync(...)` is known
; to be a call on an HttpClient; and values given to names (`_url = configuration["CatalogUrl"]`).
(variable_declaration
  type: (_) @type
  (variable_declarator
    name: (identifier) @name) @declarator)

(parameter
  type: (_) @type
  name: (identifier) @name)

(property_declaration
  type: (_) @type
  name: (identifier) @name)
