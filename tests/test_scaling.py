"""The scaling benchmark's inputs, at a size a test can afford, are audited in full and linked right.

Timing is bench/scaling.py's business; these tests only check what is found (no timing assertions).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from conftest import ROOT

from auditor.audit import audit

sys.path.insert(0, str(ROOT / "bench"))
from scaling import DATABASES, write_manifest, write_tree


def _types(result) -> Counter[tuple[str, str]]:
    return Counter((node.source, node.type) for _, node in result.scan.graph.nodes(data="node"))


def _edges(result) -> Counter[str]:
    return Counter(edge.kind for _, _, edge in result.scan.graph.edges(data="edge"))


def test_a_file_of_2000_documents_is_audited_whole(tmp_path: Path) -> None:
    write_manifest(tmp_path / "all.yaml", 2_000)
    result = audit(tmp_path)
    assert [source.path for source in result.scan.inventory.files] == ["all.yaml"]
    assert result.diagnostics == []  # no budget or size limit was hit: every document was read
    hosts = {index % DATABASES for index in range(2_000) if index % 5 < 3}
    assert _types(result) == {
        ("kubernetes", "ConfigMap"): 1_200,
        ("kubernetes", "Deployment"): 400,
        ("kubernetes", "Service"): 400,
        ("appconfig", "host"): len(hosts),
    }
    # Each Service selects exactly the Deployment before it; each ConfigMap names one database.
    assert _edges(result) == {"routes_to": 400, "connects_to": 1_200}
    graph = result.scan.graph
    assert sorted(graph.successors("kubernetes:Service:ns3/app00003")) == ["kubernetes:Deployment:ns3/app00003"]
    assert sorted(graph.successors("kubernetes:Service:ns3/app01998")) == ["kubernetes:Deployment:ns3/app01998"]
    judged = {finding.subject for finding in result.findings if finding.subject.startswith("kubernetes:Deployment:")}
    assert len(judged) == 400 and "kubernetes:Deployment:ns3/app01998" in judged  # every workload, the last too


def test_a_tree_of_5000_files_is_audited_whole(tmp_path: Path) -> None:
    write_tree(tmp_path, 5_000)
    result = audit(tmp_path)
    inventory = result.scan.inventory
    assert len(inventory.files) == 3_750  # the .txt quarter is never read
    assert Counter(source.kind for source in inventory.files) == {"kubernetes": 1_250, "appconfig": 1_250,
                                                                  "terraform": 1_250}
    assert inventory.skipped == [] and result.diagnostics == []
    manifests = range(1_250)  # the tree's manifests hold document(0) … document(1249), one per file
    hosts = {f"db{index}" for index in range(1, 5_000, 4)} | {f"db{j % DATABASES}" for j in manifests if j % 5 < 3}
    assert _types(result) == {
        ("kubernetes", "ConfigMap"): 750,
        ("kubernetes", "Deployment"): 250,
        ("kubernetes", "Service"): 250,
        ("terraform", "aws_sqs_queue"): 1_250,
        ("appconfig", "dotenv"): 1_250,
        ("appconfig", "host"): len(hosts),
    }
    # Services select Deployments in other files and directories. The tree deploys workloads and no
    # Dockerfile sits by its .env files, so no workload loads them and none implies a service of its own:
    # each keeps its own database connection and configures nothing.
    assert _edges(result) == {"routes_to": 250, "connects_to": 750 + 1_250}
