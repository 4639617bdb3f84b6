"""Checks of the state category (see the rule files in rules/ that name them).

State that lives on one instance (sessions, uploads, caches) is what stops a service from running as
many interchangeable replicas; these checks find where config puts it there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from auditor.checks.context import CheckContext, Hit, dev_only, image_documented, per_image_docs
from auditor.code.languages import language_of
from auditor.model import Location, Node, Related, Setting


def production_settings(ctx: CheckContext, node: Node, topic: str) -> tuple[Setting, ...]:
    """`node`'s settings of `topic`, without dev/test files; explicit ones hide the framework defaults."""
    return ctx.production_settings(node, topic)


_WORKER = re.compile(r"(^|[^a-z])(celery|worker|workers|sidekiq|rq|beat|consumer|scheduler|cron|resque|"
                     r"queue:work|horizon)([^a-z]|$)")


def background_worker(ctx: CheckContext, node: Node) -> bool:
    """A queue worker or scheduler (by name or command) that nothing routes or calls to: it serves no users."""
    text = f"{node.name} {node.attrs.get('command') or ''}".lower()
    return bool(_WORKER.search(text)) and not ctx.serves_traffic(node)


def _replicas_phrase(most: int | None) -> str:
    if most is None:
        return "its instance count is not stated"
    return f"it runs up to {most} instance{'s' if most != 1 else ''}"


# -- STATE001 local-session-store ------------------------------------------------------------------------

_LOCAL_SESSION = {"file": "files on the instance's disk", "memory": "the process's memory",
                  "none": "the servlet container's memory (Spring Session store-type none)"}
# Stores every instance shares: a session in code is not local when the service configures one of them.
_SHARED_SESSION = frozenset({"redis", "memcached", "jdbc", "db", "mongodb", "hazelcast",
                             "custom"})  # `custom`: a PHP save handler the code installs (most often a database)
# Cache backends that live in one process or on one instance's disk (see parsers/settings.py).
_LOCAL_CACHE = {"locmem", "memory", "file", "caffeine", "ehcache", "cache2k"}


def _session_cache(ctx: CheckContext, node: Node) -> Setting | None:
    """The cache backend Django's cache session engine uses: the SESSION_CACHE_ALIAS alias, else `default`
    (which is LocMemCache when CACHES is not set)."""
    aliases = production_settings(ctx, node, "session_cache_alias")
    alias = str(aliases[-1].value) if aliases else "default"
    in_caches = re.compile(rf"(^|\.)CACHES\.{re.escape(alias)}\.")
    for setting in production_settings(ctx, node, "cache_backend"):
        if in_caches.search(setting.key) or (setting.key.startswith("(") and alias == "default"):
            return setting
    return None


def local_session_store(ctx: CheckContext) -> Iterator[Hit]:
    """Server-side sessions kept on the instance: lost across replicas, restarts and deploys."""
    for node in ctx.workloads(recipes=True):
        sessions = production_settings(ctx, node, "session_store")
        if node.attrs.get("recipe"):
            sessions = tuple(s for s in sessions if image_documented(s))  # a recipe: only what its image does
        if not sessions or background_worker(ctx, node):
            continue
        ctx.examine(node)
        most = ctx.max_replicas(node)
        shared = any(s.value in _SHARED_SESSION for s in sessions)
        for setting in sessions:
            where: str | None = _LOCAL_SESSION.get(str(setting.value))
            related: tuple[Related, ...] = ()
            if image_documented(setting):
                if most is None or most < 2:
                    continue  # an image's default on one instance: the owner has not scaled it
                yield Hit(node.id, f"`{node.name}` keeps sessions in {where or setting.value}{_decided(setting)}"
                                   f"{per_image_docs(node)}, and {_replicas_phrase(most)}, so a user's session "
                                   "exists on only one of them", evidence=setting.location, key=setting.key)
                continue
            if setting.value == "none" and (most is None or most < 2):
                continue  # Spring without Spring Session: only a problem once there are several instances
            if language_of(setting.location.path) is not None:
                if shared:
                    continue  # a session used in code, with a shared store configured for the service
                if setting.framework == "servlet" and (most is None or most < 2):
                    continue  # the servlet container's own sessions: a problem once there are several instances
            if setting.value == "cache" and setting.framework == "django":
                cache = _session_cache(ctx, node)
                if cache is None or cache.value not in _LOCAL_CACHE:
                    continue
                where = f"a {cache.value} cache, local to each instance"
                related = (Related(cache.location, f"cache backend `{cache.value}`"),)
            if where is None:
                continue
            if most is not None and most > 1:
                impact = f"{_replicas_phrase(most)}, so a user's session exists on only one of them"
            else:
                impact = f"{_replicas_phrase(most)}; it cannot scale out without logging users out"
            yield Hit(node.id, f"`{node.name}` keeps sessions in {where} (`{setting.key}`); {impact}",
                      evidence=setting.location, related=related, key=setting.key)


def _decided(setting: Setting) -> str:
    """How an image-documented setting was decided: by a variable, the command, or the image's default."""
    if setting.key.startswith("("):
        return " (the image's default)"
    if setting.key == "command":
        return " (its command)"
    return f" (`{setting.key}`)"


# -- STATE002 sticky-sessions ----------------------------------------------------------------------------

_TRAEFIK_STICKY = re.compile(r"^traefik\.http\.services\.[^.]+\.loadbalancer\.sticky(\.cookie)?(\.name)?$")


def _backends(ctx: CheckContext, node: Node) -> list[Node]:
    return [ctx.node(e.target) for e in ctx.out_edges(node.id, ["routes_to"])]


def sticky_sessions(ctx: CheckContext) -> Iterator[Hit]:
    """Load balancers that pin a client to one backend instance."""
    for node in ctx.nodes("load_balancer"):
        attrs = node.attrs
        verdict: tuple[str, str] | None = None
        if node.source == "kubernetes" and node.type == "Service":
            backends = _backends(ctx, node)
            if backends and all(b.kind in ("datastore", "cache", "queue") for b in backends):
                continue  # a database's client affinity is not session stickiness
            ctx.examine(node)
            if attrs.get("session_affinity") == "ClientIP":
                verdict = ("session_affinity", "sessionAffinity: ClientIP")
        elif node.source == "kubernetes" and node.type == "Ingress":
            ctx.examine(node)
            if attrs.get("session_affinity") == "cookie":
                verdict = ("session_affinity", "a cookie-affinity annotation")
        elif node.source == "terraform" and node.type in ("aws_lb_target_group", "aws_alb_target_group"):
            ctx.examine(node)
            if attrs.get("stickiness_enabled") is True:
                kind = attrs.get("stickiness_type") or "lb_cookie"
                verdict = ("stickiness_enabled", f"stickiness ({kind}) enabled")
        elif node.source == "terraform" and node.type in ("google_compute_backend_service",
                                                          "google_compute_region_backend_service"):
            ctx.examine(node)
            affinity = attrs.get("session_affinity")
            if isinstance(affinity, str) and affinity.upper() != "NONE":
                verdict = ("session_affinity", f"session_affinity = {affinity}")
        elif node.source == "terraform" and node.type == "azurerm_application_gateway":
            ctx.examine(node)
            if str(attrs.get("cookie_based_affinity", "")).lower() == "enabled":
                verdict = ("cookie_based_affinity", "cookie_based_affinity = Enabled")
        if verdict is None:
            continue
        attr, what = verdict
        targets = ", ".join(f"`{b.name}`" for b in _backends(ctx, node))
        suffix = f" of {targets}" if targets else ""
        yield Hit(node.id, f"{node.type} `{node.name}` pins each client to one backend instance{suffix} ({what}); "
                           "load is uneven and a replica's loss or scale-in drops its users' sessions", attr=attr)
    for node in ctx.nodes("service", "compose"):
        labels = node.attrs.get("labels")
        if not isinstance(labels, dict):
            continue
        ctx.examine(node)
        for key, value in sorted(labels.items()):
            if _TRAEFIK_STICKY.match(str(key)) and str(value).strip().lower() not in ("false", ""):
                yield Hit(node.id, f"compose service `{node.name}` asks Traefik for sticky sessions (`{key}`); "
                                   "load is uneven and a replica's loss drops its users' sessions",
                          attr="labels", key=str(key))
                break


# -- STATE003 local-upload-storage -----------------------------------------------------------------------

_UPLOAD_SEGMENT = re.compile(r"^(uploads?|media|attachments|user[-_]?(uploads|files|content|media))$")
_SHARED_VOLUMES = {"nfs", "csi", "azureFile", "cephfs", "glusterfs", "efs"}


def _upload_path(path: object) -> bool:
    if not isinstance(path, str):
        return False
    return any(_UPLOAD_SEGMENT.match(seg) for seg in path.lower().split("/") if seg)


def _mount_paths(volume: dict[str, object]) -> list[str]:
    paths = volume.get("mount_paths")
    if isinstance(paths, list) and paths:
        return [p for p in paths if isinstance(p, str)]
    mount = volume.get("mount_path")
    return [mount] if isinstance(mount, str) else []


def _claim_access_modes(ctx: CheckContext, node: Node, claim: object) -> list[str] | None:
    namespace = node.attrs.get("namespace") or "default"
    ident = f"kubernetes:PersistentVolumeClaim:{namespace}/{claim}"
    if ident not in ctx.graph:
        return None
    modes = ctx.node(ident).attrs.get("access_modes")
    return [str(m) for m in modes] if isinstance(modes, list) else None


def _local_volume(ctx: CheckContext, node: Node, volume: dict[str, object]) -> str | None:
    """Why an upload volume is local to one instance, or None when it is (or may be) shared."""
    kind = volume.get("type")
    if node.source == "kubernetes":
        if kind in ("emptyDir", "hostPath"):
            return "an `emptyDir` volume" if kind == "emptyDir" else "a `hostPath` volume"
        if kind == "pvc" and volume.get("per_replica"):
            return "a per-replica volumeClaimTemplate"
        if kind == "pvc":
            modes = _claim_access_modes(ctx, node, volume.get("source"))
            if modes and all(m in ("ReadWriteOnce", "ReadWriteOncePod") for m in modes):
                return f"PVC `{volume.get('source')}` ({'/'.join(modes)}: one node at a time)"
        return None
    if node.source == "compose" and kind in ("bind", "named"):
        driver = volume.get("driver")
        if driver not in (None, "", "local"):
            return None
        return "a bind mount on the host" if kind == "bind" else f"local named volume `{volume.get('source')}`"
    return None


def _shared_mount(ctx: CheckContext, node: Node, directory: str) -> bool:
    """A volume that may be shared (PVC of unknown/RWX mode, NFS, CSI) is mounted at or above `directory`."""
    for volume in node.attrs.get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        for mount in _mount_paths(volume):
            covers = directory == mount or directory.startswith(mount.rstrip("/") + "/")
            if covers and _local_volume(ctx, node, volume) is None and volume.get("type") not in (
                    "configMap", "secret", "projected", "tmpfs", "downwardAPI"):
                return True
    return False


def local_upload_storage(ctx: CheckContext) -> Iterator[Hit]:
    """Uploads written to one instance's disk while several instances serve the same users."""
    for node in ctx.workloads(recipes=True):
        recipe = bool(node.attrs.get("recipe"))
        volumes = [v for v in node.attrs.get("volumes") or [] if isinstance(v, dict)]
        uploads = [] if recipe else [v for v in volumes if any(_upload_path(p) for p in _mount_paths(v))]
        dirs = [s for s in production_settings(ctx, node, "upload_dir") if isinstance(s.value, str)
                and (image_documented(s) or not recipe)]
        remote = any(s.value == "remote" for s in production_settings(ctx, node, "upload_storage"))
        if not uploads and not dirs:
            continue
        ctx.examine(node)
        most = ctx.max_replicas(node)
        if most is None or most < 2:
            continue
        found = False
        for volume in uploads:
            why = _local_volume(ctx, node, volume)
            if why is None:
                continue
            mount = next(p for p in _mount_paths(volume) if _upload_path(p))
            line = volume.get("line")
            where = Location(node.evidence.get("volumes", node.location).path, line) if isinstance(line, int) \
                else None
            found = True
            yield Hit(node.id, f"`{node.name}` stores uploads at `{mount}` on {why}, but {_replicas_phrase(most)}: "
                               "a file uploaded to one instance is missing on the others",
                      attr="volumes", evidence=where, key=f"volume:{mount}")
        if found or remote or background_worker(ctx, node):
            continue
        for setting in dirs:
            path = str(setting.value)
            absolute = path if path.startswith("/") else ""
            if absolute and _shared_mount(ctx, node, absolute):
                continue
            if image_documented(setting):
                yield Hit(node.id, f"`{node.name}` writes uploaded files to local directory `{path}`"
                                   f"{_decided(setting)}{per_image_docs(node)}, but {_replicas_phrase(most)}: a file "
                                   "uploaded to one instance is missing on the others",
                          evidence=setting.location, key=f"setting:{setting.key}")
                continue
            yield Hit(node.id, f"`{node.name}` writes uploads to local directory `{path}` (`{setting.key}`), but "
                               f"{_replicas_phrase(most)}: a file uploaded to one instance is missing on the others",
                      evidence=setting.location, key=f"setting:{setting.key}")


# -- STATE004 local-in-memory-cache ----------------------------------------------------------------------

_SHARED_CACHE = {"redis", "memcached", "db", "hazelcast"}


def _local_cache(setting: Setting) -> bool:
    if setting.key.startswith("("):
        return False  # a framework default nobody configured (Django's LocMemCache) is not a decision
    return setting.value in _LOCAL_CACHE  # Spring jcache/infinispan/generic may be distributed: not judged


def local_in_memory_cache(ctx: CheckContext) -> Iterator[Hit]:
    """A per-instance cache on a service that runs several instances."""
    for node in ctx.workloads():
        caches = production_settings(ctx, node, "cache_backend")
        if not caches:
            continue
        most = ctx.max_replicas(node)
        ctx.examine(node)
        if most is None or most < 2:
            continue
        if any(s.value in _SHARED_CACHE for s in caches):
            continue  # a shared cache next to a local one: the local one is a deliberate near cache
        for setting in caches:
            if not _local_cache(setting):
                continue
            yield Hit(node.id, f"`{node.name}` caches in `{setting.value}` (`{setting.key}`), local to each instance, "
                               f"and {_replicas_phrase(most)}: {most} separate caches give inconsistent reads and "
                               f"{most}x the cold-cache load on the database",
                      evidence=setting.location, key=setting.key)


# -- STATE005 replicated-single-instance-image ------------------------------------------------------------

_REPLICATED_KINDS = frozenset({"service", "datastore", "cache", "queue", "storage"})


def replicated_single_instance_image(ctx: CheckContext) -> Iterator[Hit]:
    """A well-known image that its documentation says does not work as several replicas, run with several."""
    for kind in sorted(_REPLICATED_KINDS):
        for node in ctx.nodes(kind):
            fact = node.attrs.get("single_instance")
            if not isinstance(fact, dict) or node.attrs.get("role") in ("job", "test", "optional", "fragment"):
                continue
            if node.source == "kubernetes" and node.attrs.get("workload_kind") not in _K8S_REPLICATED:
                continue
            ctx.examine(node)
            most = ctx.max_replicas(node)
            if most is None or most < 2:
                continue
            where = Location(str(fact.get("path")), int(fact.get("line") or 1))
            stated = f" (`{fact['key']}`)" if fact.get("key") and fact.get("key") != "command" else ""
            yield Hit(node.id, f"`{node.name}` runs the `{fact.get('image')}` image{stated} with up to {most} "
                               f"instances, but {fact.get('why')}, per the image's documentation "
                               f"({fact.get('source')})", attr="replicas", related=(Related(where, "the image"),)
                      if where != node.evidence.get("replicas") else ())


_K8S_REPLICATED = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "Rollout", "DeploymentConfig",
                             "ReplicationController"})


CHECKS: dict[str, Callable[[CheckContext], Iterator[Hit]]] = {
    "local_session_store": local_session_store,
    "sticky_sessions": sticky_sessions,
    "local_upload_storage": local_upload_storage,
    "local_in_memory_cache": local_in_memory_cache,
    "replicated_single_instance_image": replicated_single_instance_image,
}

__all__ = ["CHECKS", "background_worker", "dev_only", "production_settings"]
