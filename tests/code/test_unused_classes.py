"""A Java or C# class that no other file names runs no calls (graph/code.py `_unused_classes`): its calls are no
one's. Names in views and wiring files (.razor, Spring XML) count; naming a type only to implement it or to
register it for injection does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_repo

pytest.importorskip("tree_sitter_java")
pytest.importorskip("tree_sitter_c_sharp")

from auditor.audit import audit
from auditor.code.facts import type_mentions

COMPOSE = "services:\n  ui:\n    build: ./ui\n  assets:\n    build: ./assets\n"
ASSETS_SERVICE = "package shop;\npublic interface AssetsService { byte[] get(String path); }\n"
PROXY = """\
package shop;
import org.springframework.web.client.RestTemplate;
public class ProxyingAssetsService implements AssetsService {
  private final RestTemplate rest = new RestTemplate();
  public byte[] get(String path) { return rest.getForObject("http://assets:8080/" + path, byte[].class); }
}
"""
MOCK = "package shop;\npublic class MockAssetsService implements AssetsService {\n" \
       "  public byte[] get(String path) { return new byte[0]; }\n}\n"


def _calls(root: Path) -> set[tuple[str, int]]:
    return {(f.location.path, f.location.line) for f in audit(root).findings if f.rule_id == "RESIL001"}


def test_names_a_file_uses_leave_out_its_own_types_and_what_it_only_implements_or_registers() -> None:
    source = b"public class Mock implements Assets { Mock other; Cache cache = new Cache(); }"
    assert type_mentions(source, own=["Mock"], declarations=["Assets"]) == ["Cache"]
    assert type_mentions(b"services.AddHttpClient<IOrderApi, OrderApi>(); var x = new Other();",
                         declarations=["IOrderApi", "OrderApi"]) == ["AddHttpClient", "Other"]


def test_the_calls_of_a_class_nothing_names_are_no_ones(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {
        "docker-compose.yml": COMPOSE,
        "ui/Dockerfile": "FROM eclipse-temurin:21\n",
        "ui/pom.xml": "<project/>\n",
        "ui/src/main/java/shop/AssetsService.java": ASSETS_SERVICE,
        "ui/src/main/java/shop/ProxyingAssetsService.java": PROXY,
        "ui/src/main/java/shop/MockAssetsService.java": MOCK,
    })
    assert _calls(root) == set()  # only a sibling implements the interface: nothing injects either


def test_a_class_named_by_another_file_or_a_view_runs_its_calls(tmp_path: Path) -> None:
    files = {
        "docker-compose.yml": COMPOSE,
        "ui/Dockerfile": "FROM eclipse-temurin:21\n",
        "ui/pom.xml": "<project/>\n",
        "ui/src/main/java/shop/AssetsService.java": ASSETS_SERVICE,
        "ui/src/main/java/shop/ProxyingAssetsService.java": PROXY,
    }
    config = "package shop;\n@Configuration\npublic class Config {\n" \
             "  @Bean AssetsService assets() { return new ProxyingAssetsService(); }\n}\n"
    root = write_repo(tmp_path / "java", {**files, "ui/src/main/java/shop/Config.java": config})
    assert _calls(root) == {("ui/src/main/java/shop/ProxyingAssetsService.java", 5)}
    xml = '<beans><bean id="assets" class="shop.ProxyingAssetsService"/></beans>\n'
    root = write_repo(tmp_path / "xml", {**files, "ui/src/main/resources/beans.xml": xml})
    assert _calls(root) == {("ui/src/main/java/shop/ProxyingAssetsService.java", 5)}


def test_a_csharp_client_registered_but_never_injected_runs_nothing(tmp_path: Path) -> None:
    client = """\
public class OrderApiClient : IOrderApiClient
{
    private readonly HttpClient _httpClient;
    public OrderApiClient(HttpClient httpClient) { _httpClient = httpClient; }
    public Task<HttpResponseMessage> Draft(string basket) => _httpClient.PostAsync("http://ordering-api/draft", null);
}
"""
    files = {
        "docker-compose.yml": "services:\n  agg:\n    build: ./agg\n  ordering-api:\n    build: ./ordering\n",
        "agg/Dockerfile": "FROM mcr.microsoft.com/dotnet/aspnet:8.0\n",
        "agg/Agg.csproj": "<Project Sdk=\"Microsoft.NET.Sdk.Web\"></Project>\n",
        "agg/Program.cs": "var builder = WebApplication.CreateBuilder(args);\n"
                          "builder.Services.AddHttpClient<IOrderApiClient, OrderApiClient>();\n"
                          "var app = builder.Build();\napp.MapControllers();\napp.Run();\n",
        "agg/Services/IOrderApiClient.cs": "public interface IOrderApiClient\n{\n"
                                           "    Task<HttpResponseMessage> Draft(string b);\n}\n",
        "agg/Services/OrderApiClient.cs": client,
    }
    assert _calls(write_repo(tmp_path / "dead", files)) == set()
    controller = "[ApiController]\npublic class OrderController : ControllerBase\n{\n" \
                 "    public OrderController(IOrderApiClient orders) { }\n}\n"
    razor = "@inject IOrderApiClient Orders\n<p>@Orders</p>\n"
    for name, extra in (("controller", {"agg/Controllers/OrderController.cs": controller}),
                        ("razor", {"agg/Pages/Order.razor": razor})):
        assert _calls(write_repo(tmp_path / name, {**files, **extra})) == {("agg/Services/OrderApiClient.cs", 5)}
