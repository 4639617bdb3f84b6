"""Rule checks: what a rule's `check:` names.

A check receives a `CheckContext` (the graph plus the rule's options and a few shared questions such as
"does this workload serve traffic?") and yields `Hit`s: the node that is wrong, a message with the
numbers, and optionally which attribute or line is the evidence. The engine turns hits into located,
fingerprinted findings; a check never builds a path or a line number.

Registration is explicit: `CHECK_NAMES` and `TEMPLATE_NAMES` below are the whole lists. They are names only,
so that loading and listing rules does not import the checks (and networkx with them); the functions are
imported when rules run (`check_functions`, `template_functions`).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.checks.context import CheckContext, Hit

Check = Callable[["CheckContext"], Iterator["Hit"]]
Template = Callable[["CheckContext", dict[str, Any]], Iterator["Hit"]]

# Category module (auditor/checks/<category>.py) → the names its CHECKS registers.
CHECK_NAMES: dict[str, tuple[str, ...]] = {
    "state": ("local_session_store", "sticky_sessions", "local_upload_storage", "local_in_memory_cache",
              "replicated_single_instance_image"),
    "data": ("database_without_connection_pooling", "pool_exceeds_database_connections", "shared_database",
             "database_without_read_replica"),
    "availability": ("single_nat_gateway", "single_availability_zone", "database_without_high_availability",
                     "cache_without_failover", "single_replica_workload", "missing_pod_disruption_budget",
                     "pdb_blocks_eviction", "replicas_not_spread"),
    "coupling": ("service_dependency_cycle", "deep_synchronous_call_chain", "dependency_hub"),
    "resilience": ("call_without_timeout", "missing_readiness_probe", "no_rate_limit_at_edge"),
    "observability": ("services_without_tracing", "broken_trace_propagation", "services_without_metrics"),
    "elasticity": ("unscaled_workloads", "hpa_targets_without_requests", "fixed_autoscalers",
                   "containers_without_requests", "containers_without_memory_limit"),
}
# Each is the function of auditor/checks/templates.py named like it with `_` for `-`.
TEMPLATE_NAMES = ("require-attribute", "forbid-attribute")


def known_checks() -> list[str]:
    """Every name a rule's `check.function` may take."""
    return [name for names in CHECK_NAMES.values() for name in names]


@functools.cache
def check_functions() -> dict[str, Check]:
    """The check functions by name; a category module whose CHECKS differ from CHECK_NAMES is a defect."""
    functions: dict[str, Check] = {}
    for category, names in CHECK_NAMES.items():
        registered = importlib.import_module(f"auditor.checks.{category}").CHECKS
        if set(registered) != set(names):
            raise RuntimeError(f"auditor/checks/{category}.py registers {sorted(registered)}; "
                               f"CHECK_NAMES lists {sorted(names)}")
        functions.update(registered)
    return functions


@functools.cache
def template_functions() -> dict[str, Template]:
    """The declarative templates by name."""
    from auditor.checks import templates

    return {name: getattr(templates, name.replace("-", "_")) for name in TEMPLATE_NAMES}


__all__ = ["CHECK_NAMES", "TEMPLATE_NAMES", "Check", "Template", "check_functions", "known_checks",
           "template_functions"]
