"""Rendering: turn a Helm chart or a kustomize overlay into the manifests parsers/kubernetes.py reads,
running the renderer only in the sandbox (sandbox.py)."""
