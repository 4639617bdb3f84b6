"""One hostile repository with every attack of the trust boundary in it, used by tests/test_hostile_repo.py
and bench/hostile.py (which times each input alone and prints time and peak memory).

Each `HostileInput` is a file the repository holds; next to it (same folder) `write_hostile_repo` puts a
sibling manifest with a known finding, so a test can tell that the rest of the repository was still
audited around every hostile file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SECRET = "s3cr3t-token-8d1f0c"
SECRET_ENV = "CI_SECRET_TOKEN"

# A Deployment of one replica behind a Service: AVAIL005 at `replicas: 1`. Only the name varies, so a hostile
# name (markup, control characters) sits in metadata, never in the flow-style selector.
SIBLING = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0.0
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {{app: web}}
  ports: [{{port: 80}}]
"""
SIBLING_LINE = 6  # AVAIL005 points at `replicas: 1`


@dataclass(frozen=True)
class HostileInput:
    name: str  # what the attack is
    path: str  # where it sits in the repository
    content: bytes
    # Diagnostic codes that are an acceptable answer for this file (empty: it must simply not break anything).
    codes: frozenset[str] = frozenset()


# The head of a manifest whose top-level keys follow: a file is parsed as Kubernetes only with both.
_MANIFEST = "apiVersion: v1\nkind: ConfigMap\n"


def _text(value: str) -> bytes:
    return value.encode("utf-8")


def _compose_max_connections() -> bytes:
    # The compose `max_connections` flag pattern was quadratic in runs of spaces.
    spaces = " " * 20_000
    return _text(f"services:\n  db:\n    image: postgres:16\n    command: postgres -c max_connections{spaces}x\n")


def _compose_secret_argument() -> bytes:
    # The secret-argument redaction was quadratic too.
    return _text("services:\n  app:\n    image: app:1\n    command: run --password" + "=" * 1 + " " * 20_000 + "x\n")


def _kubernetes_maxconn() -> bytes:
    # `max_connections` + 20,000 spaces in a container argument: 45 s before.
    spaces = " " * 20_000
    return _text(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: pg\nspec:\n  replicas: 1\n  template:\n"
        "    spec:\n      containers:\n        - name: pg\n          image: postgres:16\n"
        f"          args: [\"-c\", \"max_connections{spaces}x\"]\n"
    )


def _nested_hcl() -> bytes:
    # About 200 KB of nested `{` with long runs of spaces: 50 s in tree-sitter before.
    return _text('locals {\n  x = ' + ("{ a = " + " " * 40) * 4_000 + "1" + " }" * 4_000 + "\n}\n")


HOSTILE_INPUTS: tuple[HostileInput, ...] = (
    HostileInput("markup in a resource name", "markup/web.yaml", _text(SIBLING.format(name="w[/]eb"))),
    HostileInput("markup in a path", "markup/x[/]y.yaml", _text(SIBLING.format(name="xy"))),
    HostileInput("emoji code and brackets in a path", "app/[slug]/x:100:.yml", _text(SIBLING.format(name="slug"))),
    HostileInput(
        "a workflow command and escape codes in a name", "names/ci.yaml",
        _text(SIBLING.format(name='"ci\\n::error file=x::owned\\u001b[2J\\u202e"')),
    ),
    HostileInput("quadratic compose max_connections", "compose-slow/docker-compose.yml", _compose_max_connections()),
    HostileInput("quadratic compose secret redaction", "compose-secret/docker-compose.yml", _compose_secret_argument()),
    HostileInput("quadratic Kubernetes maxconn", "k8s-slow/pg.yaml", _kubernetes_maxconn()),
    HostileInput("HCL nesting tree-sitter parses in quadratic time", "tf-nested/main.tf", _nested_hcl(),
                 frozenset({"too-deep", "too-slow", "parse-error"})),
    HostileInput("unary operators that overflow tree-sitter's C stack", "tf-unary/terraform.tfvars",
                 _text("a = " + "-" * 1_000 + "/" + "-" * 80_000 + "1\n"), frozenset({"too-deep"})),
    HostileInput("count of a billion", "tf-count/main.tf",
                 _text('resource "aws_sqs_queue" "q" {\n  count = 1000000000\n  name = "q"\n}\n'),
                 frozenset({"limit"})),
    HostileInput("range of a billion", "tf-range/main.tf",
                 _text('locals {\n  n = length(range(1000000000))\n}\n'
                       'resource "aws_sqs_queue" "q" {\n  count = local.n\n}\n'),
                 frozenset({"limit"})),
    HostileInput("string repetition", "tf-repeat/main.tf",
                 _text('locals {\n  s = format("%01000000000d", 1)\n'
                       '  t = join("", [for i in range(100000000) : "x"])\n}\n'),
                 frozenset({"limit"})),
    HostileInput("a number of 5,000 digits", "numbers/big.yaml",
                 _text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: big\nspec:\n  replicas: "
                       + "9" * 5000 + "\n")),
    HostileInput("a float overflow", "numbers/inf.tf", _text('resource "aws_sqs_queue" "q" {\n  count = 1e99999\n}\n'),
                 frozenset({"limit", "parse-error"})),
    HostileInput("whitespace-only file", "blank/.env", "\u00a0\u3000\u2028\n\u00a0".encode()),
    HostileInput("tag on an empty scalar", "tags/app.yaml",
                 _text('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\ndata:\n'
                       '  n: !!int ""\n  d: !!timestamp junk\n')),
    HostileInput("10,000 YAML documents", "many/all.yaml",
                 _text("".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n"
                               for i in range(10_000)))),
    HostileInput("deep YAML", "deep/deep.yaml", _text(_MANIFEST + "a: " + "[" * 100_000 + "]" * 100_000 + "\n"),
                 frozenset({"too-deep"})),
    HostileInput("nested complex keys (their text doubles with each level)", "keys/keys.yaml",
                 _text(_MANIFEST + "data:\n  " + "? " * 150 + "x\n")),
    HostileInput("YAML alias bomb", "bomb/bomb.yaml",
                 _text(_MANIFEST + "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                       + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
                                 f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
                                 f"*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))),
                 frozenset({"alias-bomb"})),
    HostileInput("NUL bytes", "binary/nul.yaml", b"apiVersion: v1\x00\x00kind: ConfigMap\n", frozenset({"binary"})),
    HostileInput("not UTF-8", "latin/.env", b"A=1\nB=\xff\xfe\n", frozenset({"encoding"})),
    HostileInput("an exponential ignore pattern", "ignore/.gitignore", _text("*a*a*a*a*a*a*a*a*a*a*z\n"),
                 frozenset({"limit"})),
    HostileInput("a kustomization naming files outside the repository, a device and a remote base with markup",
                 "kust-escape/kustomization.yaml",
                 _text("resources:\n  - ../../../../etc/passwd\n  - /dev/zero\n  - ../links/secret.yaml\n"
                       "  - https://example.com/[red]x[/red]?ref=main\n"), frozenset({"not-rendered"})),
    HostileInput("a kustomization that includes itself", "kust-cycle/kustomization.yaml",
                 _text("resources: [., ../kust-cycle]\n"), frozenset({"not-rendered"})),
)


def write_hostile_repo(root: Path, secret_file: Path | None = None) -> dict[str, str]:
    """Write every hostile input and a sibling beside each; returns {hostile path: sibling path}.

    With `secret_file`, the repository also holds links to it (which must never be followed).
    """
    siblings: dict[str, str] = {}
    for index, item in enumerate(HOSTILE_INPUTS):
        target = root / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.content)
        sibling = str(Path(item.path).parent / f"sibling-{index}.yaml")
        (root / sibling).write_text(SIBLING.format(name=f"sibling-{index}"), encoding="utf-8")
        siblings[item.path] = sibling
    if secret_file is not None:
        (root / "links").mkdir(exist_ok=True)
        (root / "links" / "secret.yaml").symlink_to(secret_file)
        (root / "links" / ".env").symlink_to(secret_file)
    return siblings
