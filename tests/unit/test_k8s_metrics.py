"""Every lawful metric the alert rules and docs/deploy.md name is defined by some module.

The rules are read from k8s/components/monitoring/prometheusrule.yaml directly (no rendering),
the definitions from the source: each prometheus_client Counter/Gauge/Histogram/Summary/Info/Enum
constructed with a literal name, expanded to the series names the client exposes.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.unit.test_k8s_render import ROOT

pytestmark = pytest.mark.unit

RULES_FILE = ROOT / "k8s/components/monitoring/prometheusrule.yaml"
SOURCE_DIRS = ("workers", "handlers", "schemas")
METRIC_NAME = re.compile(r"\blawful_[a-z0-9_]+\b")
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
# Series a metric of each type exposes, from its constructor name (prometheus_client rules).
SUFFIXES = {
    "Counter": ("_total", "_created"),
    "Gauge": ("",),
    "Histogram": ("_bucket", "_sum", "_count", "_created"),
    "Summary": ("", "_sum", "_count", "_created"),
    "Info": ("_info",),
    "Enum": ("",),
}


def _constructed_metrics(tree: ast.AST) -> Iterator[tuple[str, str]]:
    """(type, literal name) of every metric constructor call in a module."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        kind = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        first = node.args[0]
        if kind in SUFFIXES and isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield kind, first.value


def exposed_series(kind: str, name: str) -> set[str]:
    """The series names prometheus_client exposes for a `kind` metric called `name`."""
    if kind == "Counter":
        name = name.removesuffix("_total")
    return {name + suffix for suffix in SUFFIXES[kind]}


def defined_series(root: Path = ROOT) -> set[str]:
    series: set[str] = set()
    for directory in SOURCE_DIRS:
        for path in sorted((root / directory).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for kind, name in _constructed_metrics(tree):
                series |= exposed_series(kind, name)
    return series


def referenced_metrics(expr: str) -> set[str]:
    """lawful_* metric names in a PromQL expression (quoted label values left out)."""
    return set(METRIC_NAME.findall(QUOTED.sub('""', expr)))


def alert_expressions() -> dict[str, str]:
    rules = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return {
        rule["alert"]: rule["expr"] for group in rules["spec"]["groups"] for rule in group["rules"]
    }


def test_series_names_follow_the_client_rules() -> None:
    assert exposed_series("Counter", "lawful_replay_expired") == {
        "lawful_replay_expired_total",
        "lawful_replay_expired_created",
    }
    assert "lawful_dlq_events_total" in exposed_series("Counter", "lawful_dlq_events_total")
    assert "lawful_x_seconds_bucket" in exposed_series("Histogram", "lawful_x_seconds")
    assert exposed_series("Gauge", "lawful_g") == {"lawful_g"}


def test_the_scan_finds_the_metrics_of_each_role() -> None:
    series = defined_series()
    for name in (
        "lawful_events_in_total",  # worker
        "lawful_replay_id_lag_seconds",  # bridge
        "lawful_writeback_records_total",  # write-back
        "lawful_erasure_requests",  # erasure
        "lawful_api_requests_total",  # api
        "lawful_salesforce_api_usage_ratio",  # REST adapter
    ):
        assert name in series, name


def test_the_scan_reports_a_metric_no_module_defines(tmp_path: Path) -> None:
    (tmp_path / "workers").mkdir()
    (tmp_path / "workers/m.py").write_text(
        'from prometheus_client import Counter\nC = Counter("lawful_real", "doc")\n',
        encoding="utf-8",
    )
    series = defined_series(tmp_path)
    expr = 'sum(rate(lawful_real_total[5m])) / sum(rate(lawful_invented_total{x="lawful_q"}[5m]))'
    assert referenced_metrics(expr) - series == {"lawful_invented_total"}


@pytest.mark.parametrize("alert", sorted(alert_expressions()))
def test_every_alert_uses_only_defined_metrics(alert: str) -> None:
    undefined = referenced_metrics(alert_expressions()[alert]) - defined_series()
    assert not undefined, f"{alert} uses metrics no module defines: {sorted(undefined)}"


def test_every_metric_in_the_deploy_guide_is_defined() -> None:
    text = (ROOT / "docs/deploy.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `lawful_")]
    assert rows
    documented = {name for row in rows for name in re.findall(r"`(lawful_[a-z0-9_]+)`", row)}
    series = defined_series()
    # A histogram is documented by its family name (`..._seconds`), exposed as `..._bucket` etc.
    undefined = {name for name in documented if not {name, f"{name}_bucket"} & series}
    assert not undefined, sorted(undefined)
