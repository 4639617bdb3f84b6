"""helm-python-sdk (Helm v4 as a shared library, the `helm-sdk` extra) as the renderer of Helm charts when there is
no helm binary: run in a child process in the sandbox helm itself gets (render/sandbox.py: clean environment, no
stdin, timeout, memory and CPU limits, bounded output), never loaded into this process (its Go runtime and its
threads stay out of the process that forks parser workers).

The child (render/helm_sdk_child.py) reads the same prepared copy of the chart and the same staged values files
as `helm template`, with the same meaning for each of helm's flags (release name, `--namespace default`, no hooks
and so no tests, schema validation skipped, the pinned Kubernetes version, a local chart only, no dependency
update), and prints what `helm template` prints, so the rest of render/helm.py reads its output unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from auditor.render.sandbox import Limits, run

CHILD = Path(__file__).with_name("helm_sdk_child.py")
# Address space the child holds before it renders anything, beyond what the helm binary holds: Python, the
# 85 MB library, glibc's per-thread malloc arenas and the Go runtime's reservations (700 MB of PROT_NONE
# mappings under a 1 GiB limit, measured with 0.2.2). A template that allocates without bound dies with the
# same heap in use with this much more: ~210 MB at 1 GiB + this, as the binary at 1 GiB (fixtures/helm-bomb);
# at 1 GiB alone it dies at ~50 MB, and a real chart (eShopOnContainers nosql-data) sometimes failed to start.
RESERVED_ADDRESS_SPACE = 1 << 30


def limits(given: Limits) -> Limits:
    """The sandbox's limits for the child: the ones helm gets, with the address space it reserves added."""
    return dataclasses.replace(given, memory=given.memory + RESERVED_ADDRESS_SPACE)


def find_sdk() -> str | None:
    """The directory helm_python is installed in (the child puts it on its path), or None when it is not
    installed. Found without importing it."""
    try:
        spec = importlib.util.find_spec("helm_python")
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return str(Path(locations[0]).parent) if locations else None


def _python(site: str, *args: str) -> tuple[str, list[str]]:
    """The interpreter and its argv for the child: isolated (`-I`: no PYTHON* variables, no user site, not the
    working directory) and without site (`-S`); the child adds only `site` to its path."""
    return sys.executable, ["-I", "-S", str(CHILD), site, *args]


@functools.cache
def probe(site: str) -> tuple[str, str]:
    """(`helm-python-sdk 0.2.2 (Helm v4.2.3)`, "") when the SDK loads in the sandbox, else ("", why not). Part of
    what a rendering depends on; asked once per process."""
    binary, args = _python(site, "version")
    outcome = run(binary, args, limits(Limits(timeout=30)))
    if not outcome.ok:
        text = " ".join(outcome.stderr.split())[:300]
        return "", outcome.reason() + (f": {text}" if text else "")
    try:
        answer = json.loads(outcome.stdout)
        return f"helm-python-sdk {answer['sdk']} (Helm {answer['helm']})"[:80], ""
    except (ValueError, KeyError, TypeError):
        return "", "it did not say its version"


def template_command(site: str, release: str, chart: Path, namespace: str, kube_version: str,
                     values: Sequence[Path]) -> tuple[str, list[str]]:
    """What to run for `helm template RELEASE CHART --namespace NS --skip-tests --no-hooks
    --skip-schema-validation --kube-version K --values F…` with the SDK: only constants and paths made here."""
    return _python(site, "template", release, str(chart), kube_version, namespace, *(str(v) for v in values))
