"""What an off-the-shelf image does with state, decided once for every rule from its documented behaviour.

A node running a well-known image (auditor/knowledge/image_behaviour.yaml) gets, where its environment and
command decide it:
- a `session_store` Setting (`file`/`memory`) when the image keeps sessions on the instance;
- an `upload_dir` Setting (the directory) when it writes uploaded files to local disk;
- `attrs["single_instance"]` ({why, image, source, line}) when more than one replica of it does not work
  as one service (Ghost; Jaeger all-in-one on memory; a plain database image, which replicates only when
  configured to);
and `attrs["image_docs"]` ({image, source}), so a finding can say "per the image's documentation" and cite it.

Each Setting has framework `image` and is located on the env line that decided it, else on the `image:` line;
its key names the variable, or `(image default: NAME)` for a default (hidden, like framework defaults, by an
explicit setting of the same topic). The environment read is the container's own (compose `environment`,
Kubernetes `env`) over what it loads whole (`env_file` values; `envFrom` keys, whose values are not visible).
A value that is not visible never decides a fact, and a configuration file mounted where the image reads one
leaves the entry undecided: the file may say otherwise. Values are untrusted text: only compared, never
formatted into anything but messages' quoted values.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from typing import Any

import networkx as nx

from auditor.knowledge import ImageBehaviour, image_behaviour, image_repository
from auditor.model import Location, Node, Setting
from auditor.parsers.settings import env_rows

_UNKNOWN = object()  # a variable that is set to a value we cannot see
_JUDGED_KINDS = frozenset({"service", "datastore", "cache", "queue", "storage"})
_TOKEN = re.compile(r"[^\s\"'=,;\[\]]+")


@dataclasses.dataclass(frozen=True)
class _Env:
    """A container's environment: key → (value or _UNKNOWN, the line that sets it or None)."""

    values: dict[str, tuple[Any, Location | None]]

    def get(self, key: str) -> tuple[Any, Location | None] | None:
        return self.values.get(key)


def apply_image_behaviour(graph: nx.MultiDiGraph) -> None:
    """Add the documented behaviour of well-known images to the nodes that run them (see the module doc)."""
    for ident, node in list(graph.nodes(data="node")):
        if node.kind not in _JUDGED_KINDS or node.source not in ("compose", "kubernetes"):
            continue
        container = _container(node)
        image = container.get("image") if container else node.attrs.get("image")
        behaviour = image_behaviour(image)
        if behaviour is None:
            continue
        updated = _interpret(graph, node, container or {}, behaviour, image_repository(image))
        if updated is not None:
            graph.nodes[ident]["node"] = updated


def _container(node: Node) -> dict[str, Any] | None:
    """The container that runs a known image (the first one that does), else the first container."""
    containers = [c for c in node.attrs.get("containers") or [] if isinstance(c, dict)]
    for container in containers:
        if image_behaviour(container.get("image")) is not None:
            return container
    return containers[0] if containers else None


def _interpret(graph: nx.MultiDiGraph, node: Node, container: dict[str, Any], behaviour: ImageBehaviour,
               repository: str) -> Node | None:
    image_line = _image_line(node, container)
    if _config_mounted(node, behaviour):
        return None
    env = _environment(graph, node, container)
    command = _command(node, container)
    settings: list[Setting] = []
    attrs = dict(node.attrs)
    sessions = behaviour.facts.get("sessions")
    if sessions is not None:
        held = _holds(sessions, env, command)
        if held is not None:
            key, where = held
            settings.append(Setting("session_store", key or f"(image default: {behaviour.name})",
                                    str(sessions["store"]), where or image_line, "image"))
    uploads = behaviour.facts.get("uploads")
    if uploads is not None:
        held = _holds(uploads, env, command)
        if held is not None:
            key, where = held
            path, path_where = str(uploads["path"]), None
            moved = env.get(str(uploads.get("path_from") or ""))
            if moved is not None:
                if moved[0] is _UNKNOWN or not isinstance(moved[0], str) or not moved[0].startswith("/"):
                    held = None  # moved somewhere we cannot see
                else:
                    path, path_where = moved[0], moved[1]
            if held is not None:
                settings.append(Setting("upload_dir", key or f"(image default: {behaviour.name})", path,
                                        where or path_where or image_line, "image"))
    single = behaviour.facts.get("single_instance")
    if single is not None and not (behaviour.configurable and _configured(node, container, command)):
        held = _holds(single, env, command)
        if held is not None:
            key, where = held
            attrs["single_instance"] = {"why": str(single["why"]).strip(), "image": repository,
                                        "source": behaviour.source, "key": key,
                                        "path": (where or image_line).path, "line": (where or image_line).line}
    if not settings and "single_instance" not in attrs:
        return None
    attrs["image_docs"] = {"image": repository, "source": behaviour.source}
    return dataclasses.replace(node, attrs=attrs, settings=node.settings + tuple(settings))


def _holds(fact: dict[str, Any], env: _Env, command: list[str]) -> tuple[str, Location | None] | None:
    """Whether the fact holds: (the deciding variable or "" for the default, its line), or None when it does
    not hold or cannot be decided."""
    for key in fact.get("cleared_by") or ():
        if env.get(str(key)) is not None:
            return None
    for key in fact.get("env") or ():
        found = env.get(str(key))
        if found is None:
            continue
        value, where = found
        if value is _UNKNOWN or not isinstance(value, str) or "${" in value:
            return None  # set to something we cannot see
        wanted = {str(v).lower() for v in fact.get("holds_for") or ()}
        return (str(key), where) if value.strip().lower() in wanted else None
    tokens = {str(t) for t in fact.get("command") or ()}
    if tokens and tokens & set(command):
        return "command", None
    return ("", None) if fact.get("default", True) else None


def _environment(graph: nx.MultiDiGraph, node: Node, container: dict[str, Any]) -> _Env:
    """What the container's process sees: values loaded whole (env_file, envFrom) under its own entries."""
    values: dict[str, tuple[Any, Location | None]] = {}
    for source, _, edge in graph.in_edges(node.id, data="edge"):
        if edge.kind != "configures" or edge.attrs.get("via") not in ("env_file", "envFrom"):
            continue
        config: Node = graph.nodes[source]["node"]
        if edge.attrs.get("via") == "env_file":
            for key, value, line in env_rows(config.attrs.get("env")):
                values[key] = (value if value is not None else _UNKNOWN, Location(config.location.path, line))
        else:
            prefix = str(edge.attrs.get("prefix") or "")
            for key in config.attrs.get("keys") or []:
                values[f"{prefix}{key}"] = (_UNKNOWN, None)
    path = node.location.path
    for key, value, line in env_rows(container.get("env") if node.source == "kubernetes" else node.attrs.get("env")):
        values[key] = (value if value is not None else _UNKNOWN, Location(path, line))
    return _Env(values)


def _command(node: Node, container: dict[str, Any]) -> list[str]:
    """The tokens of the container's command line (compose `command`/`entrypoint`, Kubernetes command/args)."""
    if node.source == "kubernetes":
        texts = [container.get("command")]
    else:
        texts = [node.attrs.get("command"), node.attrs.get("entrypoint")]
    return [token for text in texts if isinstance(text, str) for token in _TOKEN.findall(text[:4000])]


def _configured(node: Node, container: dict[str, Any], command: list[str]) -> bool:
    """An engine whose start is customised (command or args, init containers, mounted config files): it may
    be set up to replicate, which the files do not show."""
    if command or node.attrs.get("init_containers"):
        return True
    for volume in node.attrs.get("volumes") or []:
        if isinstance(volume, dict) and volume.get("type") in ("configMap", "secret", "projected"):
            return True
        if isinstance(volume, dict) and volume.get("type") == "bind" and volume.get("repo_path"):
            return True
    return False


def _config_mounted(node: Node, behaviour: ImageBehaviour) -> bool:
    """A file is mounted at or below a path where the image reads its configuration."""
    if not behaviour.config_paths:
        return False
    for volume in node.attrs.get("volumes") or []:
        if not isinstance(volume, dict) or volume.get("type") in ("named", "pvc", "emptyDir", "tmpfs"):
            continue
        mounts = volume.get("mount_paths") or [volume.get("mount_path")]
        for mount in mounts:
            if isinstance(mount, str) and any(_below(posixpath.normpath(mount), root)
                                              for root in behaviour.config_paths):
                return True
    return False


def _below(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _image_line(node: Node, container: dict[str, Any]) -> Location:
    containers = node.attrs.get("containers") or []
    where = node.evidence.get("image")  # the first container's
    if where is not None and (not containers or containers[0] is container):
        return where
    line = container.get("line")
    return Location(node.location.path, line) if isinstance(line, int) else node.location
