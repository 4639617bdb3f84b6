"""C# extractor: exact facts for ASP.NET Core calls, connections, handlers, sessions and tracing."""

from __future__ import annotations

import textwrap

from auditor.code import csharp
from auditor.code.facts import Bound, Call, Connect, Extracted, Handler, Session, Target, Tracing
from auditor.code.parse import _parser, parse

DEFAULT = "HttpClient.Timeout default 100 s"
PER_RPC = "deadline set per call"  # a gRPC channel's line defers the bound to each stub call


def extract(source: str) -> Extracted:
    parser = _parser("csharp")
    assert parser is not None
    return csharp.extract(parser.parse(textwrap.dedent(source).encode()), "csharp")


def test_http_client_calls_default_and_explicit_timeouts() -> None:
    found = extract("""\
        public class CatalogService
        {
            private readonly HttpClient _httpClient;
            private readonly string _remoteServiceBaseUrl;
            public CatalogService(HttpClient httpClient, IConfiguration configuration)
            {
                _httpClient = httpClient;
                _remoteServiceBaseUrl = configuration["CatalogUrl"];
            }
            public async Task<string> Items() => await _httpClient.GetStringAsync($"{_remoteServiceBaseUrl}/items");
            public async Task Literal()
            {
                var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                await client.GetAsync("http://seat-service:18898/api/seats");
            }
            public async Task Infinite()
            {
                var forever = new HttpClient();
                forever.Timeout = Timeout.InfiniteTimeSpan;
                await forever.PostAsync("http://billing/pay", null);
            }
            public async Task Relative(IHttpClientFactory factory)
            {
                var named = factory.CreateClient("orders");
                await named.GetFromJsonAsync<Order>("api/v1/orders");
            }
            public async Task NotAClient(IRepository repo) => await repo.GetAsync("http://not-http/");
        }
    """)
    assert found.calls == [
        Call(10, "HttpClient", Target(env="CatalogUrl"), (Bound("default_timeout", 10, DEFAULT, 100.0),),
             function="Items", injected="HttpClient:CatalogService"),
        Call(14, "HttpClient", Target(url="http://seat-service:18898/api/seats"),
             (Bound("timeout", 13, "Timeout = TimeSpan.FromSeconds(5)", 5.0),), function="Literal"),
        Call(20, "HttpClient", Target(url="http://billing/pay"), (), function="Infinite"),
        Call(25, "HttpClient", Target(), (Bound("default_timeout", 25, DEFAULT, 100.0),), function="Relative"),
    ]


def test_timeout_on_an_unused_client_bounds_nothing() -> None:
    found = extract("""\
        public class Sender
        {
            private readonly HttpClient _client;
            public async Task Send()
            {
                var other = new HttpClient();
                other.Timeout = TimeSpan.FromSeconds(2);
                _client.Timeout = Timeout.InfiniteTimeSpan;
                await _client.GetAsync("http://ledger/entries");
            }
        }
    """)
    assert found.calls == [Call(9, "HttpClient", Target(url="http://ledger/entries"), (), function="Send")]


def test_typed_client_registrations_with_polly_and_resilience_handlers() -> None:
    found = extract("""\
        public static class Extensions
        {
            public static void AddClients(IServiceCollection services, IConfiguration configuration)
            {
                services.AddHttpClient<ICatalogService, CatalogService>(c =>
                        c.BaseAddress = new Uri(configuration["CatalogUrl"]))
                    .AddTransientHttpErrorPolicy(p => p.WaitAndRetryAsync(3, _ => TimeSpan.FromSeconds(1)))
                    .AddPolicyHandler(GetCircuitBreakerPolicy());
                services.AddHttpClient<BasketService>(c => c.BaseAddress = new("https+http://basket-api"))
                    .AddStandardResilienceHandler();
                services.AddHttpClient("payments", c =>
                {
                    c.BaseAddress = new Uri(configuration.GetValue<string>("Urls:Payment"));
                    c.Timeout = TimeSpan.FromSeconds(3);
                });
                services.AddHttpClient<OrderingService>();
                services.AddGrpcClient<Basket.BasketClient>(o => o.Address = new Uri("http://basket-api:81"));
            }
            static IAsyncPolicy<HttpResponseMessage> GetCircuitBreakerPolicy() =>
                HttpPolicyExtensions.HandleTransientHttpError().CircuitBreakerAsync(5, TimeSpan.FromSeconds(30));
        }
    """)
    retry = "AddTransientHttpErrorPolicy(p => p.WaitAndRetryAsync(3, _ => TimeSpan.FromSeconds(1)))"
    assert found.calls == [
        Call(5, "HttpClientFactory", Target(env="CatalogUrl"), (
            Bound("retry", 7, retry),
            Bound("retry", 8, "AddPolicyHandler(GetCircuitBreakerPolicy())"),
            Bound("circuit_breaker", 8, "AddPolicyHandler(GetCircuitBreakerPolicy())"),
            Bound("default_timeout", 5, DEFAULT, 100.0)), function="AddClients"),
        Call(9, "HttpClientFactory", Target(url="https+http://basket-api"), (
            Bound("retry", 10, "AddStandardResilienceHandler"),
            Bound("circuit_breaker", 10, "AddStandardResilienceHandler"),
            Bound("timeout", 10, "AddStandardResilienceHandler")), function="AddClients"),
        Call(11, "HttpClientFactory", Target(env="Urls__Payment"),
             (Bound("timeout", 14, "Timeout = TimeSpan.FromSeconds(3)", 3.0),), function="AddClients"),
        Call(17, "grpc", Target(url="http://basket-api:81"), (Bound("deferred", 17, PER_RPC),), "grpc",
             function="AddClients"),
    ]


def test_grpc_stub_calls_options_sections_and_dapr() -> None:
    found = extract("""\
        public class Aggregator
        {
            private readonly Basket.BasketClient _basket;
            private readonly DaprClient _dapr;
            public void Register(IServiceCollection services, IConfiguration configuration)
            {
                services.Configure<UrlsConfig>(configuration.GetSection("urls"));
                services.AddGrpcClient<Basket.BasketClient>((sp, o) =>
                {
                    var basketApi = sp.GetRequiredService<IOptions<UrlsConfig>>().Value.GrpcBasket;
                    o.Address = new Uri(basketApi);
                });
                services.AddSingleton(_ => new CatalogService(DaprClient.CreateInvokeHttpClient("catalog-api")));
            }
            public async Task Get(string id)
            {
                await _basket.GetBasketByIdAsync(new BasketRequest { Id = id });
                await _basket.UpdateBasketAsync(new BasketRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                await _dapr.InvokeMethodAsync<Order>(HttpMethod.Get, "ordering-api", "api/orders");
                await _dapr.GetStateAsync<Basket>("statestore", id);
            }
        }
    """)
    assert found.calls == [
        Call(8, "grpc", Target(env="urls__GrpcBasket"), (Bound("deferred", 8, PER_RPC),), "grpc",
             function="Register"),
        Call(13, "dapr", Target(host="catalog-api"), (Bound("default_timeout", 13, DEFAULT, 100.0),),
             function="Register"),
        Call(17, "grpc", Target(), (), "grpc", function="Get"),
        Call(18, "grpc", Target(), (Bound("timeout", 18, "deadline: DateTime.UtcNow.AddSeconds(5)"),), "grpc",
             function="Get"),
        Call(19, "dapr", Target(host="ordering-api"), (), function="Get"),
    ]


def test_polly_policy_wrapping_a_call() -> None:
    found = extract("""\
        public class Client
        {
            private readonly HttpClient _http;
            private readonly AsyncRetryPolicy _retry =
                Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, i => TimeSpan.FromSeconds(i));
            public Task<HttpResponseMessage> Get() =>
                _retry.ExecuteAsync(() => _http.GetAsync("http://inventory/stock"));
        }
    """)
    assert found.calls == [Call(7, "HttpClient", Target(url="http://inventory/stock"), (
        Bound("retry", 7, "_retry.Execute"), Bound("default_timeout", 7, DEFAULT, 100.0)), function="Get",
        injected="HttpClient:Client")]  # given no value here: the factory's typed client


def test_connections_startup_versus_handler_and_helper() -> None:
    found = extract("""\
        public class Startup
        {
            public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
            {
                services.AddDbContext<CatalogContext>(o => o.UseSqlServer(configuration["ConnectionString"]));
                services.AddSingleton(sp => ConnectionMultiplexer.Connect(configuration["Redis"]));
                builder.AddNpgsqlDbContext<OrderingContext>("orderingdb");
            }
        }
        [ApiController]
        [Route("api/[controller]")]
        public class OrdersController : ControllerBase
        {
            [HttpGet("{id}")]
            public async Task<IActionResult> Get(int id)
            {
                var redis = ConnectionMultiplexer.Connect("redis:6379");
                using var conn = new SqlConnection("Server=db;Pooling=false");
                return Ok(Load(id));
            }
            private Order Load(int id)
            {
                var mongo = new MongoClient("mongodb://mongo:27017");
                using var pg = new NpgsqlConnection("Host=pg;Maximum Pool Size=20");
                return null;
            }
        }
    """)
    assert found.connects == [
        Connect(5, "efcore", "sqlserver", True, function="ConfigureServices", target=Target(env="ConnectionString")),
        Connect(6, "StackExchange.Redis", "redis", True, function="ConfigureServices", target=Target(env="Redis")),
        Connect(7, "efcore", "postgres", True, function="ConfigureServices",
                target=Target(env="ConnectionStrings__orderingdb")),
        Connect(17, "StackExchange.Redis", "redis", False, function="Get", in_handler=True),
        Connect(18, "SqlConnection", "sqlserver", False, function="Get", in_handler=True),
        Connect(23, "MongoDB.Driver", "mongodb", False, function="Load"),
        Connect(24, "NpgsqlConnection", "postgres", True, 20, function="Load"),
    ]
    assert found.handlers == [Handler(15, "Get", "aspnetcore")]
    assert found.callees == {"Get": {"Load"}}


def test_handlers_of_each_framework() -> None:
    found = extract("""\
        var app = builder.Build();
        app.MapGet("/items/{id}", async (int id, CatalogContext db) => await db.Items.FindAsync(id));
        app.MapPost("/orders", CreateOrder);
        static IResult CreateOrder(Order order) => Results.Ok();
        public class HomeController : Controller
        {
            public IActionResult Index() => View();
            [NonAction]
            public void Helper() { }
            private void Hidden() { }
        }
        public class BasketService : Basket.BasketBase
        {
            public override Task<BasketReply> GetBasketById(BasketRequest request, ServerCallContext context) => null;
            public Task Other() => null;
        }
        public class IndexModel : PageModel
        {
            public void OnGet() { }
            public Task OnPostAsync() => null;
            public void Render() { }
        }
        public class Worker
        {
            [HttpGet]
            public void NotInAController() { }
        }
    """)
    assert sorted(found.handlers, key=lambda h: h.line) == [
        Handler(2, "MapGet /items/{id}", "aspnetcore"),
        Handler(3, "CreateOrder", "aspnetcore"),
        Handler(7, "Index", "aspnetcore"),
        Handler(14, "GetBasketById", "grpc"),
        Handler(19, "OnGet", "razor-pages"),
        Handler(20, "OnPostAsync", "razor-pages"),
    ]


def test_connection_inside_a_minimal_api_lambda_is_per_request() -> None:
    found = extract("""\
        app.MapGet("/stock", () =>
        {
            var redis = ConnectionMultiplexer.Connect("redis");
            return redis.GetDatabase().StringGet("stock");
        });
    """)
    assert found.connects == [Connect(3, "StackExchange.Redis", "redis", False, function="MapGet /stock",
                                      in_handler=True)]


def test_sessions_by_the_distributed_cache_in_the_file() -> None:
    memory = extract("services.AddSession();\nservices.AddDistributedMemoryCache();\n")
    redis = extract("services.AddDistributedMemoryCache();\nservices.AddStackExchangeRedisCache(o => { });\n"
                    "services.AddSession();\n")
    sql = extract("services.AddDistributedSqlServerCache(o => { });\nservices.AddSession(o => { });\n")
    unknown = extract("services.AddSession();\n")
    assert memory.sessions == [Session(1, "aspnetcore-session", "memory")]
    assert redis.sessions == [Session(3, "aspnetcore-session", "redis")]
    assert sql.sessions == [Session(2, "aspnetcore-session", "db")]
    assert unknown.sessions == []


def test_tracing_sdks_exporters_and_not_metrics_exporters() -> None:
    found = extract("""\
        builder.Services.AddOpenTelemetry()
            .WithMetrics(m => m.AddOtlpExporter())
            .WithTracing(t => t.AddAspNetCoreInstrumentation().AddZipkinExporter());
        builder.Services.ConfigureOpenTelemetryMeterProvider(m => m.AddOtlpExporter());
        builder.Services.AddApplicationInsightsTelemetry(configuration);
        app.UseAllElasticApm(configuration);
        builder.AddServiceDefaults();
        using var provider = Sdk.CreateTracerProviderBuilder().AddJaegerExporter().Build();
    """)
    assert found.tracing == [
        Tracing(3, "otel", "sdk"), Tracing(3, "zipkin", "exporter"), Tracing(5, "applicationinsights", "sdk"),
        Tracing(6, "elastic-apm", "agent"), Tracing(7, "otel", "sdk"), Tracing(8, "otel", "sdk"),
        Tracing(8, "jaeger", "exporter"),
    ]
    assert found.client_defaults == [Bound(k, 7, "Aspire ServiceDefaults: AddStandardResilienceHandler")
                                     for k in ("retry", "circuit_breaker", "timeout")]


def test_service_defaults_defined_in_the_file_are_read_from_their_body() -> None:
    found = extract("""\
        public static class Extensions
        {
            public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
            {
                builder.Services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
                return builder;
            }
            public static void Use(IHostApplicationBuilder builder) => builder.AddServiceDefaults();
        }
    """)
    assert found.tracing == []
    assert found.client_defaults == [Bound(k, 5, f"ConfigureHttpClientDefaults: {k}")
                                     for k in ("retry", "circuit_breaker", "timeout")]


def test_facts_reach_the_graph_vocabulary() -> None:
    facts = parse("src/Web/Startup.cs", textwrap.dedent("""\
        public class Startup
        {
            public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
            {
                services.AddHttpClient<CatalogService>(c => c.BaseAddress = new Uri(configuration["CatalogUrl"]));
                services.AddGrpcClient<Basket.BasketClient>(o => o.Address = new Uri("http://basket-api:81"));
            }
        }
    """))
    edges = sorted((e.target, e.attrs["bounds"], e.location.line) for e in facts.edges)
    assert edges == [("env:CatalogUrl", ["default_timeout"], 5), ("host:basket-api", ["deferred"], 6)]


def test_hostile_files_yield_no_exception() -> None:
    deep = "class A { void M() { var x = " + "(" * 50_000 + "1" + ")" * 50_000 + "; } }"
    calls = "class A { void M() { " + "a.GetAsync(" * 20_000 + ")" * 20_000 + "; } }"
    garbage = "\x00\xff{{{ [HttpGet] public class : : new HttpClient( $\"{ \" @\"" * 500
    for source in (deep, calls, garbage, "", "app.MapGet(", "services.AddHttpClient<"):
        parse("src/Hostile.cs", source)
        extract(source)


def test_a_file_starting_with_a_byte_order_mark_or_comments() -> None:
    found = extract("\ufeff// header\n/* more */\n"
                    "public class C { HttpClient _c; Task M() => _c.GetAsync(\"http://a/\"); }\n")
    assert found.calls == [Call(3, "HttpClient", Target(url="http://a/"),
                                (Bound("default_timeout", 3, DEFAULT, 100.0),), function="M", injected="HttpClient:C")]


def test_marten_and_the_redis_distributed_cache() -> None:
    found = extract("""\
        builder.Services.AddMarten(opts =>
        {
            opts.Connection(builder.Configuration.GetConnectionString("Database")!);
        }).UseLightweightSessions();
        builder.Services.AddStackExchangeRedisCache(options =>
        {
            options.Configuration = builder.Configuration.GetConnectionString("Redis");
        });
    """)
    assert found.connects == [
        Connect(1, "Marten", "postgres", True, target=Target(env="ConnectionStrings__Database")),
        Connect(5, "StackExchange.Redis", "redis", True, target=Target(env="ConnectionStrings__Redis")),
    ]


def test_a_typed_clients_calls_and_its_registration_are_linked_by_the_class_name() -> None:
    typed = extract("""\
        public class CatalogService : ICatalogService
        {
            private readonly HttpClient _httpClient;
            private readonly HttpClient _own = new HttpClient();
            public CatalogService(HttpClient httpClient) { _httpClient = httpClient; }
            public Task<string> Items() => _httpClient.GetStringAsync("api/v1/catalog/items");
            public Task<string> Other() => _own.GetStringAsync("http://other/x");
        }
        """)
    assert [(c.line, c.injected) for c in typed.calls] == [(6, "HttpClient:CatalogService"), (7, "")]
    registration = extract("""\
        builder.Services.AddHttpClient<ICatalogService, CatalogService>()
            .AddPolicyHandler(GetCircuitBreakerPolicy());
        builder.Services.AddHttpClient<BasketService>(c => c.Timeout = TimeSpan.FromSeconds(3));
        IAsyncPolicy<HttpResponseMessage> GetCircuitBreakerPolicy() =>
            HttpPolicyExtensions.HandleTransientHttpError().CircuitBreakerAsync(5, TimeSpan.FromSeconds(30));
        """)
    assert [(b.kind, b.line, sorted(k.kind for k in b.bounds)) for b in registration.beans] == [
        ("HttpClient:CatalogService", 1, ["circuit_breaker", "default_timeout", "retry"]),
        ("HttpClient:BasketService", 3, ["timeout"])]


def test_a_pool_size_of_thousands_of_digits_is_no_pool_size() -> None:
    # int() refuses more than 4,300 digits: the ValueError lost the file's facts.
    found = extract('''\
        class Repo
        {
            void Load() { using var pg = new NpgsqlConnection("Host=pg;Max Pool Size=''' + "9" * 5000 + '''"); }
        }
    ''')
    assert found.connects == [Connect(3, "NpgsqlConnection", "postgres", True, None, function="Load")]
