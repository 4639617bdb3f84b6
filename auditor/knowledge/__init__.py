"""Knowledge the tool ships as data, not code, one file per subject: what well-known images are
(images.yaml), well-known Terraform modules and their defaults (modules.yaml, read by parsers/terraform.py).

Loaded once, from the package's own files (never from the audited repository), with the C YAML loader.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

_SPLIT = re.compile(r"[-_.]")
# Image names too generic to say what a workload *named* so is (an app may well be called `agent`).
_GENERIC_IMAGE_NAMES = frozenset({"agent", "controller", "registry", "all-in-one", "alpine", "curl", "busybox",
                                  "ubuntu", "debian", "vector", "statsd"})


@dataclass(frozen=True)
class ImageKnowledge:
    engines: dict[str, tuple[str, str]]  # base name → (engine, node kind)
    not_engine_tokens: frozenset[str]
    roles: dict[str, str]  # base name → role
    vendors: frozenset[str]
    role_tokens: dict[str, str]  # base-name token → role
    name_tokens: dict[str, str]  # workload-name token (or whole name) → role


def load(name: str) -> Any:
    """One data file of this package (`telemetry.yaml`), parsed."""
    return parse(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


def parse(text: str) -> Any:
    """Knowledge YAML, parsed with the C loader (the pure-Python one takes ten times as long)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@functools.cache
def images() -> ImageKnowledge:
    data = load("images.yaml")
    engines = {name: (engine, spec["kind"]) for engine, spec in data["engines"].items() for name in spec["names"]}
    roles = {name: role for role, names in data["roles"].items() for name in names}
    tokens = {token: role for role, names in data["role_tokens"].items() for token in names}
    name_tokens = {token: role for role, names in data["name_tokens"].items() for token in names}
    return ImageKnowledge(engines, frozenset(data["not_engine_tokens"]), roles, frozenset(data["vendors"]), tokens,
                          name_tokens)


def image_base(image: Any) -> str:
    """`docker.io/bitnami/postgresql:15.4@sha256:…` → `postgresql` (lower case; "" for no image)."""
    if not isinstance(image, str) or not image.strip():
        return ""
    return image.strip().split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0].lower()


def image_engine(image: Any) -> tuple[str, str] | None:
    """(engine, kind) of a known datastore/cache/queue/storage/pooler image (`bitnami/redis:7` → redis, cache),
    also a vendor build named after its engine (`postgres-custom`, `eventuate-kafka`), but not a tool around one
    (`redis-exporter`, `kafka-ui`)."""
    known = images()
    name = image_base(image)
    if not name:
        return None
    if name in known.engines:
        return known.engines[name]
    if isinstance(image, str) and re.search(r"(^|/)mssql/", image.lower()):
        return "mssql", "datastore"
    tokens = _SPLIT.split(name)
    if any(token in known.not_engine_tokens for token in tokens):
        return None
    if tokens[0] in known.engines:
        return known.engines[tokens[0]]
    # a vendor's packaging named `<vendor>-<engine>` (`eventuateio/eventuate-kafka`, `acme-mysql8`)
    last = _without_trailing_digits(tokens[-1])
    if len(tokens) > 1 and last in known.engines:
        return known.engines[last]
    return None


def _without_trailing_digits(token: str) -> str:
    """`mysql8` → `mysql`. Not `re.sub(r"\\d+$", …)`: that tries a match at every digit of a run that is not at the
    end, so 23,000 digits inside a name took 2 s (found by fuzzing)."""
    end = len(token)
    while end and token[end - 1].isdecimal():  # what \d matches in a str pattern: Unicode category Nd
        end -= 1
    return token[:end]


def image_role(image: Any) -> str | None:
    """What a third-party image is (`edge_proxy`, `observability`, `tooling`, `infrastructure`,
    `load_generator`, or `third_party` for any other image of a known vendor), None if not known."""
    known = images()
    name = image_base(image)
    if not name or not isinstance(image, str):
        return None
    if name in known.roles:
        return known.roles[name]
    for token in _SPLIT.split(name):
        if token in known.role_tokens:
            return known.role_tokens[token]
    parts = image.strip().split("@", 1)[0].split(":", 1)[0].lower().split("/")
    if parts[0] == "docker.io":
        parts = parts[1:]
    if parts[0] in known.vendors or "/".join(parts[:2]) in known.vendors:
        return "third_party"
    return None


def name_role(name: str) -> str | None:
    """What a workload's own name says it is when its image does not: `catalogue-db` → datastore,
    `db-migrate` → job, `config-server` → infrastructure, `loadgenerator` → load_generator."""
    known = images().name_tokens
    lowered = name.lower()
    if lowered in known:
        return known[lowered]
    if lowered in images().roles and lowered not in _GENERIC_IMAGE_NAMES:
        return images().roles[lowered]  # a service named like the image it runs: `kibana`, `apm-server`
    tokens = [t for t in _SPLIT.split(lowered) if t]
    if not tokens:
        return None
    for size in (3, 2):  # multi-word entries: `config-server`, `functional-tests`
        for start in range(len(tokens) - size + 1):
            joined = "-".join(tokens[start:start + size])
            if joined in known:
                return known[joined]
    last = known.get(tokens[-1])
    if last in ("datastore", "cache", "queue"):
        return last  # `orders-db`, `session-redis`; not `db-api`
    for token in tokens:
        role = known.get(token)
        if role is not None and role not in ("datastore", "cache", "queue"):
            return role
    return None


@dataclass(frozen=True)
class ImageBehaviour:
    """One entry of image_behaviour.yaml: a well-known image's documented behaviour (`facts`: topic → the
    fact's fields as written: sessions, uploads, single_instance)."""

    name: str
    source: str
    facts: dict[str, dict[str, Any]]
    config_paths: tuple[str, ...]
    configurable: bool


@functools.cache
def _behaviours() -> dict[str, ImageBehaviour]:
    data = load("image_behaviour.yaml")
    found: dict[str, ImageBehaviour] = {}
    for name, entry in data["images"].items():
        facts = {topic: dict(entry[topic]) for topic in ("sessions", "uploads", "single_instance") if topic in entry}
        behaviour = ImageBehaviour(name, str(entry["source"]), facts, tuple(entry.get("config_paths") or ()),
                                   bool(entry.get("configurable")))
        for repository in entry["repositories"]:
            found[str(repository).lower()] = behaviour
    return found


_REGISTRY_HOSTS = ("docker.io", "index.docker.io", "registry-1.docker.io")


def image_repository(image: Any) -> str:
    """`docker.io/library/nextcloud:29@sha256:…` → `nextcloud`, `quay.io/keycloak/keycloak:25` →
    `keycloak/keycloak`: the registry host (a first part with a dot or a port, or `localhost`), `library/`, the
    tag and the digest dropped, lower case ("" for no image)."""
    if not isinstance(image, str) or not image.strip():
        return ""
    parts = image.strip().split("@", 1)[0].lower().split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "library":
        parts = parts[1:]
    parts[-1] = parts[-1].split(":", 1)[0]
    return "/".join(parts)


def image_behaviour(image: Any) -> ImageBehaviour | None:
    """The documented behaviour of a well-known image (image_behaviour.yaml), None for any other image."""
    repository = image_repository(image)
    return _behaviours().get(repository) if repository else None
