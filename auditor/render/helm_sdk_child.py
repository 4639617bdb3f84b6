"""The child process that renders a chart with helm-python-sdk (Helm v4 as a shared library): run by
render/helm_sdk.py in the sandbox (`python -I -S`, with helm's limits and room for the address space Go
reserves), never imported.

It does what `helm template RELEASE DIR --namespace default --skip-tests --no-hooks --skip-schema-validation
--kube-version K --values F…` does, through the same Helm code: an install action with a client-side dry run
(`helm template`'s own path), and prints what helm prints: the release manifest on stdout, `Error: …` on stderr
and status 1 when Helm fails. The chart is a local directory (never a repository, OCI or URL reference),
dependencies are never updated, DNS lookups and post-renderers are off, and the kubeconfig is /dev/null.

Not `Chart.render`, the SDK's own render: it always validates values against the charts' schemas (a remote
`$ref`, even inside a vendored archive, is fetched over HTTP: measured with 0.2.2) and cannot pin the Kubernetes
version. The public `Config.install` does not pass `disable_hooks`, `skip_schema_validation` or `kube_version`,
so the C ABI's `helm_install` is called through the binding's call helpers (`helm_python._native`); helm-c-sdk
decodes its options strictly (an unknown key is an error, never ignored).

Only the standard library and helm_python are imported: argv[1] is the directory helm_python is installed in.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

LOAD_FAILED = 3  # status when helm-python-sdk itself cannot be loaded (said on stderr)


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's mergeMaps for `--values` files given in order: nested maps merged, anything else replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def main(argv: list[str]) -> int:
    site, command = argv[1], argv[2]
    os.environ["GOMAXPROCS"] = "2"  # read by the Go runtime when the library loads: fewer threads, less address space
    sys.path.append(site)  # after the standard library: nothing there shadows it
    try:
        import helm_python
        from helm_python import _native
    except Exception as error:  # noqa: BLE001 - any failure to load is reported, not raised
        sys.stderr.write(f"cannot load helm-python-sdk: {type(error).__name__}: {error}\n")
        return LOAD_FAILED
    if command == "version":
        sys.stdout.write(json.dumps({"sdk": helm_python.__version__, "helm": helm_python.helm_sdk_version()}))
        return 0
    release, chart, kube_version, namespace = argv[3:7]
    values: dict[str, Any] = {}
    try:
        for path in argv[7:]:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
            try:
                parsed = json.loads(_native.call_string("helm_values_from_yaml", text))
            except helm_python.HelmError as error:
                raise helm_python.HelmError(f"failed to parse {path}: {error}") from None
            values = merge(values, parsed if isinstance(parsed, dict) else {})
        chart_handle = _native.call_handle("helm_chart_load", chart)
        config = _native.call_handle("helm_config_new", json.dumps({
            "kubeconfig_path": "/dev/null", "storage_driver": "memory", "namespace": namespace}))
        options = {"namespace": namespace, "dry_run": "client", "disable_hooks": True, "skip_schema_validation": True,
                   "kube_version": kube_version}
        summary = _native.call_string("helm_install", _native.HANDLE(config), _native.HANDLE(0),
                                      _native.HANDLE(chart_handle), None, release, json.dumps(values),
                                      json.dumps(options))
    except (helm_python.HelmError, OSError, ValueError) as error:  # what helm would report, said as helm says it
        sys.stderr.write(f"Error: {error}\n")
        return 1
    manifest = json.loads(summary).get("manifest") or ""
    sys.stdout.write(manifest.strip() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
