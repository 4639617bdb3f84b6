"""The Java extractor: calls and what bounds them, connections, handlers, sessions, tracing (auditor/code/java.py)."""
# ruff: noqa: E501  (the Java sources below keep their lines as written, so the asserted line numbers read true)

from __future__ import annotations

import pytest

tree_sitter = pytest.importorskip("tree_sitter")
pytest.importorskip("tree_sitter_java")

from auditor.code import java, languages  # noqa: E402
from auditor.code.facts import Extracted, Target  # noqa: E402
from auditor.code.parse import parse  # noqa: E402


def extract(source: str) -> Extracted:
    grammar = languages.grammar("java")
    assert grammar is not None
    return java.extract(tree_sitter.Parser(grammar).parse(source.encode()), "java")


def calls(source: str) -> list[tuple[int, str, Target, tuple[tuple[str, int], ...]]]:
    return [(c.line, c.client, c.target, tuple((b.kind, b.line) for b in c.bounds)) for c in extract(source).calls]


def details(source: str) -> list[list[str]]:
    return [[b.detail for b in c.bounds] for c in extract(source).calls]


REST_TEMPLATE = """\
@Service
public class OrdersClient {
    private static final String BASE = "http://orders-service";
    private final RestTemplate bounded;
    private final RestTemplate plain = new RestTemplate();
    private final RestTemplate injected;
    private final RestTemplate viaFactory;
    private final RestTemplate unusedFactory;
    @Value("${inventory.url:http://inventory:8080}")
    private String inventoryUrl;
    private CircuitBreakerFactory cbf;

    public OrdersClient(RestTemplateBuilder builder, RestTemplate injected) {
        this.bounded = builder.setConnectTimeout(Duration.ofSeconds(2)).setReadTimeout(Duration.ofSeconds(5)).build();
        this.injected = injected;
        SimpleClientHttpRequestFactory factory = new SimpleClientHttpRequestFactory();
        factory.setReadTimeout(3000);
        this.viaFactory = new RestTemplate(factory);
        SimpleClientHttpRequestFactory other = new SimpleClientHttpRequestFactory();
        other.setReadTimeout(3000);
        this.unusedFactory = new RestTemplate();
    }

    public String a() { return bounded.getForObject(BASE + "/orders", String.class); }
    public String b() { return plain.getForObject(inventoryUrl + "/items/" + 1, String.class); }
    public String c() { return injected.getForObject(System.getenv("PAY_URL") + "/pay", String.class); }
    public String d() { return viaFactory.getForObject("http://users/u", String.class); }
    public String e() { return unusedFactory.exchange("http://users/u", HttpMethod.GET, null, String.class).getBody(); }
    @CircuitBreaker(name = "x") @Retry(name = "x")
    public String f(String url) { return plain.getForObject(url, String.class); }
    public Map g() { return plain.getForObject("http://ads/x", Map.class).put("a", "b"); }
    public String h() { return cbf.create("x").run(() -> plain.getForObject("http://ads/y", String.class), t -> "f"); }
    @HystrixCommand(fallbackMethod = "fb")
    public String i() { return plain.getForObject("http://ads/z", String.class); }
    public String j() {
        RestTemplateBuilder b = new RestTemplateBuilder();
        b.setReadTimeout(Duration.ofSeconds(1));
        return b.build().getForObject("http://dropped/x", String.class);
    }
    public String k() {
        RestTemplate connectOnly = new RestTemplateBuilder().setConnectTimeout(Duration.ofSeconds(1)).build();
        return connectOnly.getForObject("http://slow/x", String.class);
    }
}
"""


def test_rest_template_bounds_follow_the_builder_and_factory_actually_used():
    assert calls(REST_TEMPLATE) == [
        (24, "RestTemplate", Target(url="http://orders-service/orders"), (("timeout", 14),)),
        # a plain `new RestTemplate()` is unbounded; the @Value key and its default are the target
        (25, "RestTemplate", Target(url="{}/items/{}", env="inventory.url", default="http://inventory:8080"), ()),
        # injected through the constructor: decided elsewhere (deferred), pointing at the parameter
        (26, "RestTemplate", Target(url="{}/pay", env="PAY_URL"), (("deferred", 13),)),
        (27, "RestTemplate", Target(url="http://users/u"), (("timeout", 17),)),
        # the trap: a factory with a timeout that is never passed to the RestTemplate bounds nothing
        (28, "RestTemplate", Target(url="http://users/u"), ()),
        (30, "RestTemplate", Target(), (("circuit_breaker", 29), ("retry", 29))),
        # `.put` on the response map is not a call
        (31, "RestTemplate", Target(url="http://ads/x"), ()),
        (32, "RestTemplate", Target(url="http://ads/y"), (("circuit_breaker", 32),)),
        (34, "RestTemplate", Target(url="http://ads/z"), (("circuit_breaker", 33), ("default_timeout", 33))),
        # RestTemplateBuilder is immutable: `b.setReadTimeout(…);` drops the builder it returns
        (38, "RestTemplate", Target(url="http://dropped/x"), ()),
        # a connect timeout alone does not bound the call: the read can hang
        (42, "RestTemplate", Target(url="http://slow/x"), ()),
    ]
    assert details(REST_TEMPLATE)[2] == ["injected is passed in; built elsewhere"]
    assert details(REST_TEMPLATE)[0] == ["setReadTimeout(Duration.ofSeconds(5))"]


def test_same_file_bean_is_the_rest_template_used():
    source = """\
@SpringBootApplication
public class App {
    @Autowired RestTemplate restTemplate;
    @Bean @LoadBalanced
    RestTemplate restTemplate() { return new RestTemplate(); }
    void run() { restTemplate.getForObject("http://department-service/x", String.class); }
    void run2() { restTemplate().postForEntity("http://employee-service/x", null, String.class); }
}
@Service
class Elsewhere {
    private final RestOperations rest;
    Elsewhere(RestOperations rest) { this.rest = rest; }
    void go() { rest.delete("http://x-svc/1"); }
}
"""
    assert calls(source) == [
        (6, "RestTemplate", Target(url="http://department-service/x"), ()),
        (7, "RestTemplate", Target(url="http://employee-service/x"), ()),
        (13, "RestTemplate", Target(url="http://x-svc/1"), (("deferred", 12),)),
    ]


WEB_CLIENT = """\
import org.springframework.web.reactive.function.client.WebClient;
public class Wc {
    private final WebClient web;
    private final WebClient timed = WebClient.builder().baseUrl("http://catalog:8080")
        .clientConnector(new ReactorClientHttpConnector(HttpClient.create().responseTimeout(Duration.ofSeconds(2)))).build();
    private final WebClient plainWeb = WebClient.create("http://reviews");
    @Value("${endpoints.assets}") private String assetsEndpoint;
    public Wc(WebClient.Builder builder) { this.web = builder.baseUrl("http://product").build(); }
    Mono<String> a() { return web.get().uri("/p/1").retrieve().bodyToMono(String.class); }
    Mono<String> b() { return timed.get().uri("/c").retrieve().bodyToMono(String.class); }
    Mono<String> c() { return plainWeb.post().uri(u -> u.path("/r").build()).retrieve().bodyToMono(String.class); }
    Mono<String> d() { return plainWeb.get().uri("/r").retrieve().bodyToMono(String.class).timeout(Duration.ofSeconds(3)); }
    Mono<byte[]> e(String image) {
      return WebClient.builder().baseUrl(this.assetsEndpoint + "/assets/" + image).build().get().retrieve()
        .bodyToMono(byte[].class);
    }
    String f() { return RestClient.create().get().uri("http://x-svc/a").retrieve().body(String.class); }
    Mono<String> g() {
        return plainWeb.get().uri("/g").retrieve().bodyToMono(String.class)
            .transformDeferred(CircuitBreakerOperator.of(cb)).retryWhen(Retry.backoff(3, Duration.ofMillis(100)));
    }
}
"""


def test_web_client_and_rest_client():
    assert calls(WEB_CLIENT) == [
        (9, "WebClient", Target(url="http://product/p/1"), (("deferred", 8),)),  # built from an injected builder
        (10, "WebClient", Target(url="http://catalog:8080/c"), (("timeout", 5),)),  # the connector's response timeout
        (11, "WebClient", Target(url="http://reviews/r"), ()),
        (12, "WebClient", Target(url="http://reviews/r"), (("timeout", 12),)),  # `.timeout(…)` on the chain
        (14, "WebClient", Target(url="{}/assets/{}", env="endpoints.assets"), ()),
        (17, "RestClient", Target(url="http://x-svc/a"), ()),
        (19, "WebClient", Target(url="http://reviews/g"), (("circuit_breaker", 19), ("retry", 19))),
    ]
    assert details(WEB_CLIENT)[0] == ["builder is passed in; built elsewhere"]


PLAIN_JAVA = """\
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.apache.http.impl.client.HttpClients;

public class Other {
    private final OkHttpClient ok = new OkHttpClient();
    private final OkHttpClient okTimed = new OkHttpClient.Builder().callTimeout(5, TimeUnit.SECONDS).build();
    private final OkHttpClient okOff = new OkHttpClient.Builder().readTimeout(0, TimeUnit.SECONDS).build();
    private final HttpClient jdk = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final CloseableHttpClient apache = HttpClients.createDefault();
    private final CloseableHttpClient apacheTimed = HttpClients.custom()
        .setDefaultRequestConfig(RequestConfig.custom().setSocketTimeout(2000).build()).build();

    void a() throws Exception {
        Request request = new Request.Builder().url("http://ok-svc/x").build();
        ok.newCall(request).execute();
        okTimed.newCall(new Request.Builder().url("http://ok-svc/y").build()).execute();
        okOff.newCall(request).execute();
    }
    void b() throws Exception {
        HttpRequest r1 = HttpRequest.newBuilder().uri(URI.create("http://jdk-svc/a")).build();
        jdk.send(r1, HttpResponse.BodyHandlers.ofString());
        HttpRequest r2 = HttpRequest.newBuilder(URI.create("http://jdk-svc/b")).timeout(Duration.ofSeconds(2)).build();
        jdk.send(r2, HttpResponse.BodyHandlers.ofString());
    }
    String forward(HttpRequest request) throws Exception {
        return jdk.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }
    void c() throws Exception {
        apache.execute(new HttpGet("http://apache-svc/a"));
        HttpGet get = new HttpGet("http://apache-svc/b");
        apacheTimed.execute(get);
    }
    void d() throws Exception {
        HttpURLConnection conn = (HttpURLConnection) new URL("http://url-svc/a").openConnection();
        conn.setReadTimeout(5000);
        URL url = new URL(System.getenv("LEGACY_URL"));
        HttpURLConnection c2 = (HttpURLConnection) url.openConnection();
        c2.setConnectTimeout(1000);
        HttpURLConnection c3 = (HttpURLConnection) new URL("http://url-svc/c").openConnection();
        configure(c3);
    }
    void configure(HttpURLConnection c) { c.setReadTimeout(1000); }
}
"""


def test_okhttp_apache_java_net_http_and_url_connection():
    assert calls(PLAIN_JAVA) == [
        (18, "okhttp", Target(url="http://ok-svc/x"), (("default_timeout", 8),)),  # OkHttp's 10 s defaults
        (19, "okhttp", Target(url="http://ok-svc/y"), (("timeout", 9),)),
        (20, "okhttp", Target(url="http://ok-svc/x"), ()),  # readTimeout(0) disables the default
        (24, "java.net.http", Target(url="http://jdk-svc/a"), ()),  # the client's connectTimeout does not bound it
        (26, "java.net.http", Target(url="http://jdk-svc/b"), (("timeout", 25),)),  # the request's timeout does
        # a wrapper forwarding the caller's request: deferred, not unbounded
        (29, "java.net.http", Target(), (("deferred", 28),)),
        (32, "apache-httpclient", Target(url="http://apache-svc/a"), ()),
        (34, "apache-httpclient", Target(url="http://apache-svc/b"), (("timeout", 14),)),
        (37, "HttpURLConnection", Target(url="http://url-svc/a"), (("timeout", 38),)),
        (40, "HttpURLConnection", Target(env="LEGACY_URL"), ()),  # connect timeout only
        (42, "HttpURLConnection", Target(url="http://url-svc/c"), (("deferred", 42),)),  # handed to a helper
    ]
    assert details(PLAIN_JAVA)[5] == ["request is passed in; built elsewhere"]
    assert details(PLAIN_JAVA)[10] == ["c3 is handed to another method"]
    assert [b.seconds for b in extract(PLAIN_JAVA).calls[0].bounds] == [10.0]


def test_http_client_of_another_library_is_not_java_net_http():
    source = """\
import reactor.netty.http.client.HttpClient;
class A {
    private final HttpClient client = HttpClient.create();
    void a() { client.send(x); }
}
"""
    assert calls(source) == []


def test_grpc_channels():
    bean_only = """\
public class GrpcCfg {
    @Bean ManagedChannel channel() { return ManagedChannelBuilder.forAddress("payments", 50051).usePlaintext().build(); }
}
"""
    with_stub = """\
class GrpcUse {
    void x() {
        ManagedChannel ch = ManagedChannelBuilder.forTarget("dns:///shipping:9090").usePlaintext().build();
        ShippingGrpc.newBlockingStub(ch).ship(req);
    }
}
"""
    deadline = """\
class GrpcUse2 {
    void x() {
        ManagedChannel ch = ManagedChannelBuilder.forAddress(System.getenv("CART_HOST"), 7070).usePlaintext().build();
        CartGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS).get(req);
    }
}
"""
    assert calls(bean_only) == [(2, "grpc", Target(host="payments", port=50051), (("deferred", 2),))]
    assert details(bean_only) == [["deadlines are set per call on stubs made elsewhere"]]
    assert calls(with_stub) == [(3, "grpc", Target(url="shipping:9090"), ())]
    assert calls(deadline) == [(3, "grpc", Target(env="CART_HOST", port=7070), (("timeout", 4),))]
    assert {c.protocol for c in extract(with_stub).calls} == {"grpc"}


def test_declarative_clients_declare_one_call_per_request_method():
    source = """\
import org.springframework.cloud.openfeign.FeignClient;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
@FeignClient(name = "department-service")
public interface DepartmentClient {
    @GetMapping("/organization/{id}")
    List<Department> find(@PathVariable("id") Long id);
    default String helper() { return "x"; }
}
@FeignClient(value = "pay", url = "${payment.url}")
interface PayClient { @PostMapping("/pay") void pay(); }
@RegisterRestClient(configKey = "extensions-api")
interface ExtensionsService { @GET Set<Extension> getById(@QueryParam("id") String id); }
@Client("http://micronaut-svc")
interface NotMicronaut { @Get("/x") String x(); }
"""
    assert calls(source) == [
        (6, "feign", Target(host="department-service"), (("default_timeout", 3),)),
        (10, "feign", Target(env="payment.url"), (("default_timeout", 9),)),
        (12, "microprofile-rest-client", Target(env="quarkus.rest-client.extensions-api.url"),
         (("default_timeout", 11),)),
        # `@Client` without the Micronaut import is some other annotation
    ]
    assert details(source)[0] == ["Feign default: 10 s connect, 60 s read"]
    assert [b.seconds for c in extract(source).calls for b in c.bounds] == [60.0, 60.0, 30.0]


def test_vertx_web_client_is_not_spring():
    source = """\
import io.vertx.mutiny.ext.web.client.WebClient;
public class R {
    private final WebClient client;
    public R(Vertx vertx) {
        this.client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("swapi.tech").setDefaultPort(443));
    }
    @GET public Uni<JsonObject> get(String id) { return client.get("/api/people/" + id).send(); }
    @GET public Uni<JsonObject> timed() { return client.getAbs("http://wiki/x").timeout(2000).send(); }
}
"""
    assert calls(source) == [
        (7, "vertx-web-client", Target(url="http://swapi.tech/api/people/{}"), ()),
        (8, "vertx-web-client", Target(url="http://wiki/x"), (("timeout", 8),)),
    ]


def test_string_targets_from_constants_env_and_format():
    source = """\
class T {
    static final String HOST = "billing";
    private final RestTemplate rt = new RestTemplate();
    private final String base;
    @Autowired Environment env;
    T(@Value("${shipping.url}") String base) { this.base = base; }
    void a() { rt.getForObject("http://" + HOST + ":8080/x", String.class); }
    void b() { rt.getForObject(base + "/ship", String.class); }
    void c() { rt.getForObject(String.format("http://%s/api", System.getenv("TAX_HOST")), String.class); }
    void d() { rt.getForObject(env.getProperty("quotes.url", "http://quotes") + "/q", String.class); }
    void e() {
        String url = Optional.ofNullable(System.getenv("FX_URL")).orElse("http://fx:9000");
        rt.getForObject(url, String.class);
    }
}
"""
    assert [c[2] for c in calls(source)] == [
        Target(url="http://billing:8080/x"),
        Target(url="{}/ship", env="shipping.url"),
        Target(url="http://{}/api", env="TAX_HOST"),
        Target(url="{}/q", env="quotes.url", default="http://quotes"),
        Target(env="FX_URL", default="http://fx:9000"),
    ]


DATABASES = """\
import redis.clients.jedis.Jedis;
import com.mongodb.client.MongoClients;
@RestController
public class DbController {
    @Value("${db.url:jdbc:mysql://mysql:3306/shop}") private String dbUrl;
    @GetMapping("/a")
    public String a() throws Exception {
        Connection c = DriverManager.getConnection("jdbc:postgresql://db:5432/app", "u", "p");
        return "x";
    }
    @GetMapping("/b")
    public String b() throws Exception { return load(); }
    private String load() throws Exception {
        try (Connection c = DriverManager.getConnection(dbUrl)) { return "y"; }
    }
    @PostMapping("/c")
    public void c() { Jedis j = new Jedis("redis", 6379); }
    @GetMapping("/d")
    public void d() { var client = MongoClients.create("mongodb://mongo:27017"); }
}
class Tool {
    public static void main(String[] args) throws Exception {
        Connection c = DriverManager.getConnection("jdbc:postgresql://db:5432/app");
    }
}
@Configuration
class DbConfig {
    @Bean
    public DataSource dataSource() {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(String.format("jdbc:postgresql://%s/%s", host, name));
        config.setMaximumPoolSize(20);
        return new HikariDataSource(config);
    }
    @Bean DataSource ds2() { return DataSourceBuilder.create().url("jdbc:sqlserver://sql:1433;databaseName=x").build(); }
    @Bean DataSource ds3() { DriverManagerDataSource d = new DriverManagerDataSource(); d.setUrl("jdbc:oracle:thin:@o:1521:XE"); return d; }
    @Bean JedisPool pool() { JedisPoolConfig cfg = new JedisPoolConfig(); cfg.setMaxTotal(50); return new JedisPool(cfg, "cache", 6379); }
    @Bean RedisClient redis() { return RedisClient.create("redis://cache:6379"); }
    @Bean MongoClient mongo() { return MongoClients.create("mongodb://mongo:27017/?maxPoolSize=30"); }
}
"""


def test_connections_pools_and_where_they_are_opened():
    found = [(c.line, c.library, c.datastore, c.pooled, c.pool_max, c.pool_line, c.function, c.in_handler)
             for c in extract(DATABASES).connects]
    assert found == [
        (8, "DriverManager", "postgres", False, None, 0, "a", True),
        (14, "DriverManager", "mysql", False, None, 0, "load", False),  # a helper the handler `b` calls
        (17, "jedis", "redis", False, None, 0, "c", True),
        (19, "mongodb", "mongodb", False, None, 0, "d", True),  # a client (pool) built per request
        (23, "DriverManager", "postgres", False, None, 0, "main", False),  # a one-off tool, not a handler
        (33, "hikari", "postgres", True, 20, 32, "dataSource", False),
        (35, "DataSourceBuilder", "sqlserver", True, None, 0, "ds2", False),
        (36, "DriverManagerDataSource", "oracle", False, None, 0, "ds3", False),
        (37, "jedis", "redis", True, 50, 37, "pool", False),
        (38, "lettuce", "redis", True, None, 0, "redis", False),
        (39, "mongodb", "mongodb", True, 30, 39, "mongo", False),
    ]
    connects = extract(DATABASES).connects
    assert connects[0].target == Target(url="postgresql://db:5432/app")
    assert connects[1].target == Target(env="db.url", default="mysql://mysql:3306/shop")


def test_connection_settings_through_to_facts():
    facts = parse("src/main/java/app/DbController.java", DATABASES)
    settings = {(s.topic, s.value, s.location.line) for node in facts.nodes for s in node.settings}
    assert ("db_connect", "handler", 8) in settings
    assert ("db_connect", "handler", 14) in settings  # reached from the handler through `load()`
    assert ("db_connect", "shared", 23) in settings  # `main`
    assert ("db_connect", "shared", 36) in settings  # a non-pooling DataSource bean
    assert ("pool", 20, 32) in settings
    assert ("pool", True, 35) in settings


HANDLERS = """\
@Controller
@SessionAttributes("cart")
public class CartController {
    @GetMapping("/cart") public String cart(HttpSession session, Model m) { return "cart"; }
    @PostMapping("/x") public String x(HttpServletRequest request) { request.getSession().setAttribute("a", 1); return helper(); }
    String helper() { return this.other(); }
    String other() { return ""; }
}
@Path("/items")
public class ItemResource {
    @GET @Path("/{id}") public Item get(@PathParam("id") String id) { return null; }
    public void notHandler() {}
}
public class LegacyServlet extends HttpServlet {
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) { HttpSession s = req.getSession(true); }
}
@Configuration
@EnableRedisHttpSession
class SessionConfig {}
@Component
@Scope(value = WebApplicationContext.SCOPE_SESSION, proxyMode = ScopedProxyMode.TARGET_CLASS)
class UserCart {}
@RestController
class ProductImpl implements ProductApi {
    @Override public Product getProduct(int id) { return null; }
    @Override public String toString() { return ""; }
    private Product cached() { return null; }
}
@Path("/remote")
@RegisterRestClient
interface RemoteApi { @GET String call(); }
class Plain { void service(HttpSession s); }
"""


def test_handlers_of_each_framework():
    found = extract(HANDLERS)
    assert [(h.line, h.function, h.framework) for h in found.handlers] == [
        (4, "cart", "spring"), (5, "x", "spring"), (11, "get", "jax-rs"), (15, "doGet", "servlet"),
        (25, "getProduct", "spring"),
    ]
    assert found.callees["x"] == {"helper"}
    assert found.callees["helper"] == {"other"}


def test_sessions_in_memory_and_spring_session_stores():
    found = extract(HANDLERS)
    assert [(s.line, s.framework, s.store) for s in found.sessions] == [
        (2, "servlet", "memory"),  # @SessionAttributes
        (4, "servlet", "memory"),  # HttpSession parameter
        (5, "servlet", "memory"),  # request.getSession()
        (15, "servlet", "memory"),
        (18, "spring-session", "redis"),
        (21, "servlet", "memory"),  # a session-scoped bean
    ]


def test_tracing_setup_not_instrumentation():
    source = """\
import io.opentelemetry.sdk.OpenTelemetrySdk;
import brave.Tracing;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.instrumentation.okhttp.v3_0.OkHttpTelemetry;
public class TracingSetup {
    static OpenTelemetry init() {
        SdkTracerProvider provider = SdkTracerProvider.builder()
            .addSpanProcessor(BatchSpanProcessor.builder(OtlpGrpcSpanExporter.builder().build()).build()).build();
        Tracer t = GlobalOpenTelemetry.getTracer("x");
        return OpenTelemetrySdk.builder().setTracerProvider(provider).buildAndRegisterGlobal();
    }
    Tracing brave() { return Tracing.newBuilder().localServiceName("x").build(); }
    Call.Factory traced(OpenTelemetry otel) { return OkHttpTelemetry.builder(otel).build().newCallFactory(c); }
    @WithSpan void span() {}
}
"""
    assert [(t.line, t.system, t.what) for t in extract(source).tracing] == [
        (7, "otel", "sdk"), (8, "otel", "exporter"), (12, "zipkin", "sdk"), (13, "otel", "propagation"),
    ]
    # `Tracing` and `Configuration` are generic names: without brave / jaeger imports they are not tracing
    assert extract("class A { void a() { Tracing.newBuilder(); Configuration.fromEnv(); } }").tracing == []


@pytest.mark.parametrize("source", [
    "class A { void a() { x(" + "(" * 20_000 + "1" + ")" * 20_000 + "); } }",
    "class A { String s = " + " + ".join(['"a"'] * 5_000) + "; void a() { rt.getForObject(s, X.class); } }",
    "class A { void a() { " + "{" * 5_000 + "}" * 5_000 + " } }",
    "@@@ class { RestTemplate rt = new RestTemplate(; rt.getForObject(\"http://x\" + ; DriverManager.getConnection(",
    "class A { RestTemplate a = b; RestTemplate b = a; void f() { a.getForObject(\"http://x/y\", S.class); } }",
    "\x00\xff garbage \ud7ff",
    "class A { RestTemplate rt = new RestTemplate(); void a() { rt.getForObject(\"http://x\"" + ".trim()" * 30_000
    + ", S.class); } }",
    "class A { RestTemplate rt = new RestTemplate(); void a() { rt.getForObject(" + "(\"a\" + " * 3_000 + "\"b\""
    + ")" * 3_000 + ", S.class); } }",
    "class A { void a() { WebClient.builder()" + ".baseUrl(x)" * 30_000 + ".build().get().uri(\"/x\"); } }",
    # deep blocks and many uses of one client: name look-ups do not walk up the tree, a client is traced once
    "class A { RestTemplate rt; void m() { " + "{" * 300 + "rt.getForObject(\"http://x\", S.class); " * 3_000
    + "}" * 300 + " } }",
])
def test_hostile_or_garbage_java_yields_no_exception(source):
    found = extract(source)
    assert isinstance(found, Extracted)
    parse("A.java", source)


def test_jax_rs_client():
    source = """\
import javax.ws.rs.client.Client;
import javax.ws.rs.client.ClientBuilder;
public class Shipping {
    private final Client client = ClientBuilder.newClient();
    private final Client timed = ClientBuilder.newBuilder().readTimeout(3, TimeUnit.SECONDS).build();
    private final Client jersey = ClientBuilder.newClient().property(ClientProperties.READ_TIMEOUT, 2000);
    String a() { return client.target("http://orders/api").path("list").request().get(String.class); }
    String b() { return timed.target("http://orders/api").request().get(String.class); }
    String c() { return jersey.target("http://orders/api").request().get(String.class); }
}
"""
    assert calls(source) == [
        (7, "jax-rs-client", Target(url="http://orders/api/list"), ()),
        (8, "jax-rs-client", Target(url="http://orders/api"), (("timeout", 5),)),
        (9, "jax-rs-client", Target(url="http://orders/api"), (("timeout", 6),)),
    ]


def test_cdi_and_jsf_session_state():
    source = """\
@Named
@SessionScoped
public class CartBean implements Serializable {
    void put() { FacesContext.getCurrentInstance().getExternalContext().getSessionMap().put("a", 1); }
    Map<String, Object> notASession() { return cache.getSessionMap(); }
}
"""
    assert [(s.line, s.framework, s.store) for s in extract(source).sessions] == [
        (2, "servlet", "memory"), (4, "servlet", "memory")]


def test_url_connections_only_to_remote_urls_built_here():
    source = """\
class R {
    void a(URL passed) throws Exception {
        URL resource = getClass().getResource("/data.json");
        resource.openStream();
        new File("x").toURI().toURL().openStream();
        new URL("file:///etc/hosts").openStream();
        passed.openConnection();
        URI.create("http://feeds/rss").toURL().openStream();
    }
}
"""
    assert calls(source) == [(8, "HttpURLConnection", Target(url="http://feeds/rss"), ())]


def test_spring_data_redis_factories_and_tomcat_pool():
    source = """\
import org.apache.tomcat.jdbc.pool.DataSource;
import org.apache.tomcat.jdbc.pool.PoolProperties;
@Configuration
class Cfg {
    @Bean LettuceConnectionFactory lettuce() { return new LettuceConnectionFactory("cache", 6379); }
    @Bean JedisConnectionFactory jedis() { return new JedisConnectionFactory(); }
    DataSource pool() {
        PoolProperties p = new PoolProperties();
        p.setUrl("jdbc:mysql://db:3306/fluid");
        p.setMaxActive(100);
        DataSource ds = new DataSource();
        ds.setPoolProperties(p);
        return ds;
    }
}
"""
    assert [(c.line, c.library, c.datastore, c.pooled, c.pool_max) for c in extract(source).connects] == [
        (5, "lettuce", "redis", True, None), (6, "jedis", "redis", True, None), (11, "tomcat-jdbc", "mysql", True, 100)]
    # without the Tomcat import, `new DataSource()` is some other class
    assert extract("class A { Object a() { return new DataSource(); } }").connects == []


def test_grpc_client_field_of_the_spring_boot_starter():
    source = """\
@Service
public class GrpcClientService {
    @GrpcClient("local-grpc-server")
    private SimpleBlockingStub simpleStub;
    public String send(String name) { return simpleStub.sayHello(HelloRequest.newBuilder().setName(name).build()).getMessage(); }
}
"""
    assert calls(source) == [(3, "grpc", Target(env="grpc.client.local-grpc-server.address"), (("deferred", 3),))]
    assert details(source) == [["a deadline may be set in config"]]


def test_micronaut_controller_and_declarative_client():
    source = """\
import io.micronaut.http.annotation.*;
import io.micronaut.http.client.annotation.Client;
@Controller("/books")
public class BookController {
    @Get("/{id}") public Book show(Long id) { return null; }
    public void notRouted() {}
}
@Client("${inventory.url:http://inventory}")
interface InventoryClient { @Get("/stock/{isbn}") Integer stock(String isbn); }
"""
    found = extract(source)
    assert [(h.line, h.function, h.framework) for h in found.handlers] == [(5, "show", "micronaut")]
    assert calls(source) == [(9, "micronaut", Target(env="inventory.url", default="http://inventory"),
                              (("default_timeout", 8),))]


def test_resilience_wrappers_and_annotations():
    source = """\
class Guarded {
    private final RestTemplate rt = new RestTemplate();
    private final RetryTemplate retryTemplate = new RetryTemplate();
    private final CircuitBreaker breaker = CircuitBreaker.ofDefaults("x");
    @Retryable(maxAttempts = 3)
    String a() { return rt.getForObject("http://a-svc/x", String.class); }
    @Timeout(500)
    String b() { return rt.getForObject("http://b-svc/x", String.class); }
    String c() { return retryTemplate.execute(ctx -> rt.getForObject("http://c-svc/x", String.class)); }
    String d() { return CircuitBreaker.decorateSupplier(breaker, () -> rt.getForObject("http://d-svc/x", String.class)).get(); }
    String e() { return Decorators.ofSupplier(() -> rt.getForObject("http://e-svc/x", String.class)).withRetry(retry).get(); }
    String f() { return list.stream().map(x -> rt.getForObject("http://f-svc/x", String.class)).findFirst().get(); }
}
"""
    assert [(c.target.url, tuple((b.kind, b.line) for b in c.bounds)) for c in extract(source).calls] == [
        ("http://a-svc/x", (("retry", 5),)),
        ("http://b-svc/x", (("timeout", 7),)),
        ("http://c-svc/x", (("retry", 9),)),
        ("http://d-svc/x", (("circuit_breaker", 10),)),
        ("http://e-svc/x", (("retry", 11),)),
        ("http://f-svc/x", ()),  # a stream's `map` is not a wrapper
    ]


def test_quarkus_grpc_client_config_key():
    source = """\
import io.quarkus.grpc.GrpcClient;
public class HelloWorldEndpoint {
    @GrpcClient("hello")
    GreeterGrpc.GreeterBlockingStub blockingHelloService;
}
"""
    assert [c.target for c in extract(source).calls] == [Target(env="quarkus.grpc.clients.hello.host")]


BEAN_CLIENTS = """\
import okhttp3.OkHttpClient;
import org.springframework.context.annotation.Bean;
public class StoreServices {
  @Bean
  public Call.Factory tracedClientFactory(OpenTelemetry openTelemetry) {
    return OkHttpTelemetry.builder(openTelemetry).build().newCallFactory(new OkHttpClient.Builder().build());
  }
  @Bean
  public OkHttpClient fast() {
    return new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(2)).build();
  }
  @Bean
  public OkHttpClient unbounded() {
    return new OkHttpClient.Builder().readTimeout(0, TimeUnit.SECONDS).build();
  }
  public OkHttpClient notABean() { return new OkHttpClient(); }
}
"""


def test_an_okhttp_client_built_in_a_bean_method_bounds_the_calls_the_code_does_not_show() -> None:
    # Generated Kiota/OpenAPI clients get the application's OkHttp client injected: its timeouts (or OkHttp's
    # 10 s defaults) are the service's; a timeout of 0 disables them; a client outside a @Bean says nothing.
    assert [(b.kind, b.line, b.seconds) for b in extract(BEAN_CLIENTS).client_defaults] == [
        ("default_timeout", 6, 10.0), ("timeout", 10, None)]


INJECTED = """\
import org.springframework.web.reactive.function.client.WebClient;
@Component
public class Integration {
  private final WebClient webClient;
  public Integration(WebClient.Builder webClientBuilder) {
    this.webClient = webClientBuilder.build();
  }
  public Mono<String> reviews(int id) {
    return webClient.get().uri("http://review/review?productId=" + id).retrieve().bodyToMono(String.class);
  }
}
"""

BEANS = """\
import org.springframework.context.annotation.Bean;
public class Application {
  @Bean
  @LoadBalanced
  public WebClient.Builder loadBalancedWebClientBuilder() {
    return WebClient.builder();
  }
  @Bean
  public RestTemplate restTemplate(RestTemplateBuilder builder) {
    return builder.setReadTimeout(Duration.ofSeconds(3)).build();
  }
  @Bean
  public RestClient restClient(RestClient.Builder builder) {
    return builder.build();
  }
}
"""


def test_a_call_through_an_injected_client_names_the_kind_of_client_it_is_given() -> None:
    [call] = extract(INJECTED).calls
    assert [b.kind for b in call.bounds] == ["deferred"] and call.injected == "WebClient.Builder"


def test_clients_built_in_bean_methods_are_recorded_with_what_bounds_them() -> None:
    # the RestClient bean is built from an injected builder: not shown here, so not recorded
    assert [(b.kind, b.line, [k.kind for k in b.bounds]) for b in extract(BEANS).beans] == [
        ("WebClient.Builder", 5, []), ("RestTemplate", 9, ["timeout"])]
