; Database connections and pools: JDBC DriverManager, HikariCP, Spring DataSourceBuilder, DBCP/c3p0,
; Tomcat JDBC, non-pooling DataSources, MongoDB, Jedis and Lettuce clients and Spring Data Redis connection
; factories.
((method_invocation
   object: (identifier) @class
   name: (identifier) @method) @connect
 (#any-of? @class "DriverManager" "MongoClients" "RedisClient" "RedisClusterClient" "DataSourceBuilder")
 (#any-of? @method "getConnection" "create"))
((object_creation_expression type: [(type_identifier) @type (scoped_type_identifier (type_identifier) @type .)]) @connect
 (#any-of? @type "HikariDataSource" "DriverManagerDataSource" "SimpleDriverDataSource" "BasicDataSource"
   "ComboPooledDataSource" "PGSimpleDataSource" "MysqlDataSource" "SQLServerDataSource" "PGPoolingDataSource"
   "MongoClient" "Jedis" "JedisPool" "JedisPooled" "JedisCluster" "JedisSentinelPool" "LettuceConnectionFactory"
   "JedisConnectionFactory" "DataSource"))
