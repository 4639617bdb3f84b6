"""What well-known images do with state (knowledge/image_behaviour.yaml, graph/image_behaviour.py): each fact
in compose and Kubernetes, its default and the variable that changes it, and the rules that judge it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_repo

from auditor.audit import audit
from auditor.knowledge import image_behaviour, image_repository

STATE_RULES = ("STATE001", "STATE003", "STATE005")


def _findings(root: Path) -> set[tuple[str, str, int]]:
    return {(f.rule_id, f.location.path, f.location.line) for f in audit(root).findings if f.rule_id in STATE_RULES}


def _messages(root: Path, rule: str) -> list[str]:
    return [f.message for f in audit(root).findings if f.rule_id == rule]


def _compose(image: str, env: str = "", replicas: int = 3, extra: str = "") -> str:
    environment = f"    environment:\n{env}" if env else ""
    return (f"services:\n  app:\n    image: {image}\n    ports: [\"8080:80\"]\n{environment}"
            f"    deploy:\n      replicas: {replicas}\n{extra}")


def _deployment(image: str, env: str = "", replicas: int = 3, kind: str = "Deployment", args: str = "",
                name: str = "app") -> str:
    environment = f"          env:\n{env}" if env else ""
    arguments = f"          args: {args}\n" if args else ""
    return f"""\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: app
          image: {image}
{arguments}{environment}"""


@pytest.mark.parametrize(("image", "repository"), [
    ("docker.io/library/nextcloud:29-apache", "nextcloud"),
    ("quay.io/keycloak/keycloak:25.0@sha256:" + "a" * 64, "keycloak/keycloak"),
    ("registry.example.com:5000/gitea/gitea:1.22", "gitea/gitea"),
    ("postgres", "postgres"),
])
def test_repositories_are_normalised(image: str, repository: str) -> None:
    assert image_repository(image) == repository


def test_bitnami_engines_are_not_taken_for_the_plain_image() -> None:
    # bitnami/postgresql replicates from POSTGRESQL_REPLICATION_MODE: its behaviour is not the plain image's
    assert image_behaviour("bitnami/postgresql:16") is None
    assert image_behaviour("ghost:5") is not None and image_behaviour("bitnami/ghost:5") is not None


# -- sessions (STATE001) -----------------------------------------------------------------------------------


def test_nextcloud_keeps_file_sessions_unless_redis_host_is_set(tmp_path: Path) -> None:
    write_repo(tmp_path, {"a/docker-compose.yml": _compose("nextcloud:29"),
                          "b/docker-compose.yml": _compose("nextcloud:29", "      REDIS_HOST: redis\n")})
    found = _findings(tmp_path)
    assert ("STATE001", "a/docker-compose.yml", 3) in found  # the image line: the default decides
    assert not any(rule == "STATE001" and path.startswith("b/") for rule, path, _ in found)
    message = next(m for m in _messages(tmp_path, "STATE001") if "`app`" in m)
    assert "per the `nextcloud` image's documentation (https://github.com/nextcloud/docker" in message


def test_nextcloud_redis_host_from_an_env_file_or_a_configmap_counts(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "a/docker-compose.yml": _compose("nextcloud:29", extra="    env_file: nextcloud.env\n"),
        "a/nextcloud.env": "REDIS_HOST=redis\n",
        "k8s/app.yaml": _deployment("nextcloud:29") + "          envFrom:\n            - configMapRef: {name: nc}\n"
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: nc}\ndata:\n  REDIS_HOST: redis\n",
    })
    assert not any(rule == "STATE001" for rule, _, _ in _findings(tmp_path))


def test_a_single_instance_is_not_flagged_for_its_image_default(tmp_path: Path) -> None:
    write_repo(tmp_path, {"docker-compose.yml": _compose("nextcloud:29", replicas=1),
                          "k8s/app.yaml": _deployment("nextcloud:29", replicas=1)})
    assert not any(rule in ("STATE001", "STATE003") for rule, _, _ in _findings(tmp_path))


def test_gitea_memory_sessions_unless_the_provider_is_shared(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "k8s/memory.yaml": _deployment("gitea/gitea:1.22", name="memory"),
        "k8s/file/app.yaml": _deployment("gitea/gitea:1.22", "            - name: GITEA__session__PROVIDER\n"
                                         "              value: file\n", name="file"),
        "k8s/redis/app.yaml": _deployment("gitea/gitea:1.22", "            - name: GITEA__session__PROVIDER\n"
                                          "              value: redis\n", name="redis"),
        "k8s/secret/app.yaml": _deployment("gitea/gitea:1.22", "            - name: GITEA__session__PROVIDER\n"
                                           "              valueFrom: {secretKeyRef: {name: s, key: p}}\n",
                                           name="secret"),
    })
    sessions = {(path, line) for rule, path, line in _findings(tmp_path) if rule == "STATE001"}
    assert sessions == {("k8s/memory.yaml", 15), ("k8s/file/app.yaml", 17)}  # the image line; the env line


def test_keycloak_start_dev_or_local_cache_keeps_sessions_local(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "startdev/app.yaml": _deployment("quay.io/keycloak/keycloak:25.0", args='["start-dev"]', name="dev"),
        "localcache/app.yaml": _deployment("quay.io/keycloak/keycloak:25.0", "            - name: KC_CACHE\n"
                                      "              value: local\n", args='["start"]', name="local"),
        "prod/app.yaml": _deployment("quay.io/keycloak/keycloak:25.0", args='["start", "--optimized"]', name="prod"),
    })
    sessions = {path for rule, path, _ in _findings(tmp_path) if rule == "STATE001"}
    assert sessions == {"startdev/app.yaml", "localcache/app.yaml"}  # (files under dev/ or local/ are dev-only)


# -- uploads (STATE003) ------------------------------------------------------------------------------------


def test_nextcloud_data_on_local_disk_unless_object_storage(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "a/docker-compose.yml": _compose("nextcloud:29"),
        "b/docker-compose.yml": _compose("nextcloud:29", "      OBJECTSTORE_S3_BUCKET: files\n"),
    })
    uploads = {path for rule, path, _ in _findings(tmp_path) if rule == "STATE003"}
    assert uploads == {"a/docker-compose.yml"}


def test_uploads_on_a_shared_volume_are_not_local(tmp_path: Path) -> None:
    claim = ("          volumeMounts:\n            - {name: data, mountPath: /var/www/html}\n"
             "      volumes:\n        - name: data\n          persistentVolumeClaim: {claimName: shared}\n")
    write_repo(tmp_path, {"k8s/app.yaml": _deployment("wordpress:6") + claim})  # a claim of unknown access mode
    assert not any(rule == "STATE003" for rule, _, _ in _findings(tmp_path))
    write_repo(tmp_path, {"k8s/app.yaml": _deployment("wordpress:6")})
    assert ("STATE003", "k8s/app.yaml", 15) in _findings(tmp_path)


def test_gitea_attachments_on_minio_are_not_local(tmp_path: Path) -> None:
    write_repo(tmp_path, {"docker-compose.yml": _compose(
        "gitea/gitea:1.22", "      GITEA__storage__STORAGE_TYPE: minio\n      GITEA__session__PROVIDER: db\n")})
    assert not _findings(tmp_path)


# -- replicas (STATE005) -----------------------------------------------------------------------------------


def test_ghost_never_runs_replicated(tmp_path: Path) -> None:
    write_repo(tmp_path, {"docker-compose.yml": _compose("ghost:5-alpine"),
                          "k8s/app.yaml": _deployment("ghost:5", replicas=1)})
    assert {(rule, path) for rule, path, _ in _findings(tmp_path)} == {("STATE005", "docker-compose.yml")}
    (message,) = _messages(tmp_path, "STATE005")
    assert "per the image's documentation (https://docs.ghost.org/" in message


def test_jaeger_all_in_one_on_memory_but_not_on_elasticsearch(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "memory/app.yaml": _deployment("jaegertracing/all-in-one:1.57", name="memory"),
        "es/app.yaml": _deployment("jaegertracing/all-in-one:1.57", "            - name: SPAN_STORAGE_TYPE\n"
                                   "              value: elasticsearch\n", name="es"),
    })
    assert {path for rule, path, _ in _findings(tmp_path) if rule == "STATE005"} == {"memory/app.yaml"}


def test_grafana_on_sqlite_but_not_on_postgres(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "sqlite/docker-compose.yml": _compose("grafana/grafana:11.1.0"),
        "pg/docker-compose.yml": _compose("grafana/grafana:11.1.0", "      GF_DATABASE_TYPE: postgres\n"),
        "url/docker-compose.yml": _compose("grafana/grafana:11.1.0", "      GF_DATABASE_URL: postgres://g@db/g\n"),
    })
    assert {path for rule, path, _ in _findings(tmp_path) if rule == "STATE005"} == {"sqlite/docker-compose.yml"}


def test_elasticsearch_only_with_single_node_discovery(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "single/docker-compose.yml": _compose("elasticsearch:8.14.0", "      discovery.type: single-node\n"),
        "cluster/docker-compose.yml": _compose("elasticsearch:8.14.0", "      discovery.seed_hosts: es1,es2\n"),
    })
    found = {(path, line) for rule, path, line in _findings(tmp_path) if rule == "STATE005"}
    assert {path for path, _ in found} == {"single/docker-compose.yml"}


def test_plain_database_replicas_are_not_a_cluster_unless_configured(tmp_path: Path) -> None:
    write_repo(tmp_path, {
        "plain/db.yaml": _deployment("postgres:16", kind="StatefulSet", name="plain"),
        "redis/db.yaml": _deployment("redis:7", kind="Deployment", name="redis"),
        "mongo/db.yaml": _deployment("mongo:7", kind="StatefulSet", args='["--replSet", "rs0"]', name="mongo"),
        "bitnami/db.yaml": _deployment("bitnami/postgresql:16", kind="StatefulSet", name="bitnami"),
        "one/db.yaml": _deployment("mysql:8", kind="StatefulSet", replicas=1, name="one"),
    })
    assert {path for rule, path, _ in _findings(tmp_path) if rule == "STATE005"} == {"plain/db.yaml", "redis/db.yaml"}


def test_a_mounted_config_file_leaves_the_image_undecided(tmp_path: Path) -> None:
    extra = "    volumes:\n      - ./grafana.ini:/etc/grafana/grafana.ini:ro\n"
    write_repo(tmp_path, {"docker-compose.yml": _compose("grafana/grafana:11.1.0", extra=extra),
                          "grafana.ini": "[database]\ntype = postgres\n"})
    assert not _findings(tmp_path)


def test_untrusted_env_values_are_only_compared(tmp_path: Path) -> None:
    hostile = "      GITEA__session__PROVIDER: \"{0} %s ${HOME} `rm -rf /`\"\n"
    write_repo(tmp_path, {"docker-compose.yml": _compose("gitea/gitea:1.22", hostile)})
    assert not any(rule == "STATE001" for rule, _, _ in _findings(tmp_path))  # not a value the docs name
