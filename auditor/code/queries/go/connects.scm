; Database connections and pools: `sql.Open`, `sqlx.Connect`, `pgxpool.New`, `pgx.Connect`, `gorm.Open`,
; `mongo.Connect`, `redis.NewClient`; the filter checks the package's import path.
(call_expression
  function: (selector_expression operand: (identifier) @package field: (field_identifier) @function
    (#any-of? @function "Open" "OpenDB" "Connect" "MustConnect" "MustOpen" "ConnectContext" "MustConnectContext"
      "New" "NewWithConfig"
      "ConnectConfig" "NewClient" "NewClusterClient" "NewUniversalClient" "NewFailoverClient"))
  arguments: (argument_list) @args) @connect
; Pool bounds stated on the pool: `db.SetMaxOpenConns(20)`, `cfg.MaxConns = 10`.
(call_expression
  function: (selector_expression operand: (_) @pool field: (field_identifier) @setter
    (#any-of? @setter "SetMaxOpenConns" "SetMaxPoolSize"))
  arguments: (argument_list . (_) @size)) @pool_setter
(assignment_statement
  left: (expression_list (selector_expression operand: (_) @pool field: (field_identifier) @setter
    (#any-of? @setter "MaxConns" "PoolSize" "MaxOpenConns" "MaxPoolSize")))
  right: (expression_list . (_) @size)) @pool_assign
