"""syntax.matches_of: the fact queries of a language run as one walk give each fact what its own query gives."""

from __future__ import annotations

from pathlib import Path

import pytest
import tree_sitter

from auditor.code import csharp, javascript, php, syntax
from auditor.code.languages import grammar

_CSHARP = """\
using System.Net.Http;
namespace Shop;
public class OrdersController : ControllerBase {
    private readonly HttpClient _http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
    public string Url { get; set; }
    [HttpGet] public async Task<string> Get(int id, string name) {
        int a = 1, b = 2;
        Func<int, int> f = (int x) => x, g = y => y;
        _url = configuration["CatalogUrl"];
        return await _http.GetStringAsync($"http://catalog/items/{id}");
    }
}
"""
_PHP = """\
<?php
include 'db.php';
function item($id) {
    $ch = curl_init("http://catalog/items/$id");
    curl_setopt($ch, CURLOPT_TIMEOUT, 5);
    $redis = new Redis();
    return curl_exec($ch);
}
class A { public function b() { return self::c($this->d->e()); } }
"""
_REPORT_JS = Path(__file__).resolve().parents[2] / "auditor" / "report" / "assets" / "report.js"


def _shape(found: list[syntax.Match]) -> list[tuple[int, dict[str, list[int]]]]:
    return [(m.pattern, {name: [n.id for n in nodes] for name, nodes in m.captures.items()}) for m in found]


@pytest.mark.parametrize(("language", "facts", "source"), [
    ("csharp", csharp._FACTS, _CSHARP),
    ("php", php._FACTS, _PHP),
    ("javascript", javascript._FACTS, _REPORT_JS.read_text(encoding="utf-8")),
])
def test_one_walk_gives_each_fact_its_own_querys_matches(language: str, facts: tuple[str, ...], source: str) -> None:
    lang = grammar(language)
    assert lang is not None
    root = tree_sitter.Parser(lang).parse(source.encode()).root_node
    together = syntax.matches_of(language, facts, root)
    assert all(together[fact] for fact in facts if fact not in ("includes", "browser", "handlers", "creations"))
    for fact in facts:
        assert _shape(together[fact]) == _shape(syntax.matches(language, fact, root)), fact
