"""What configuration keys and values mean, whatever file they come from.

Compose `environment`, Kubernetes `env`/ConfigMaps, `.env`, Spring, Django, Flask and Node config all
reduce to (key, value, location) entries; `interpret` turns them into recognised `Setting`s (pool,
session store, cache, timeouts, retries, circuit breakers, tracing, metrics, …) and `Link`s (a URL or
host that names a datastore, cache, queue or another service). Knowledge of frameworks lives here, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from auditor.model import Location, Setting


@dataclass(frozen=True)
class Entry:
    """One configuration key/value with its line. Keys are flattened with dots (`spring.datasource.url`)."""

    key: str
    value: Any
    location: Location


@dataclass(frozen=True)
class Link:
    """A host named by a configuration value: the other end of a connection or call."""

    host: str
    kind: Literal["connects_to", "calls"]
    target_kind: Literal["datastore", "cache", "queue", "service", "external"]
    scheme: str
    key: str
    location: Location
    port: int | None = None
    database: str = ""


@dataclass(frozen=True)
class Interpretation:
    settings: tuple[Setting, ...] = ()
    links: tuple[Link, ...] = ()


def interpret(entries: Iterable[Entry], framework: str = "") -> Interpretation:
    """Recognise settings and links among `entries`; `framework` is a hint ("spring", "django", …)."""
    raise NotImplementedError  # filled in by the appconfig/settings work
