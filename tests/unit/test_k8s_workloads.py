"""Project rules for the rendered workloads: restricted security, probes, resources, roles."""

from __future__ import annotations

import pytest

from tests.unit.test_k8s_render import (
    OVERLAYS,
    POD_KINDS,
    ROLE_ARGS,
    SINGLETONS,
    WORKLOAD_KINDS,
    Doc,
    component,
    config_map_data,
    containers,
    named,
    of_kind,
    pod_spec,
    pod_template,
    render,
)

pytestmark = pytest.mark.unit

# Longest drain of each role (seconds): the grace period must be longer.
DRAIN_SECONDS = {
    "bridge": 15,
    "worker": 60,
    "api": 30,
    "writeback": 20,  # workers/writeback/app.py: the final flush waits at most 20 s
    "erasure": 30,  # a running Salesforce call (request timeout 30 s), once it drains
    "backfill": 5,  # the producer flushes its last batch
}
# Volume types the restricted Pod Security Standard allows.
RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
HEALTH_PATHS = {"livenessProbe": "/livez", "startupProbe": "/livez", "readinessProbe": "/readyz"}


def _workloads(overlay: str) -> list[Doc]:
    """Every pod-running resource (long-running roles and the backfill CronJob)."""
    return of_kind(render(overlay), *POD_KINDS)


def _long_running(overlay: str) -> list[Doc]:
    return of_kind(render(overlay), *WORKLOAD_KINDS)


def _quantity_bytes(quantity: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return int(quantity[: -len(suffix)]) * factor
    return int(quantity)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_meet_the_restricted_profile(overlay: str) -> None:
    for workload in _workloads(overlay):
        spec = pod_spec(workload)
        pod_sc = spec["securityContext"]
        assert pod_sc["runAsNonRoot"] is True
        assert pod_sc["runAsUser"] >= 10000
        assert pod_sc["seccompProfile"]["type"] == "RuntimeDefault"
        assert spec["automountServiceAccountToken"] is False
        for host_namespace in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(host_namespace)
        for volume in spec.get("volumes", []):
            assert set(volume) - {"name"} <= RESTRICTED_VOLUME_TYPES, volume["name"]
        for container in containers(workload):
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False
            assert sc.get("privileged", False) is False
            assert sc["readOnlyRootFilesystem"] is True
            assert sc["capabilities"]["drop"] == ["ALL"]
            assert not sc["capabilities"].get("add")
            assert sc.get("runAsNonRoot", pod_sc["runAsNonRoot"]) is True


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_probes_the_health_endpoints(overlay: str) -> None:
    for workload in _long_running(overlay):
        for container in containers(workload):
            port_names = {p["name"] for p in container["ports"]}
            for probe, path in HEALTH_PATHS.items():
                http = container[probe]["httpGet"]
                assert http["path"] == path, (workload["metadata"]["name"], probe)
                assert http["port"] in port_names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_memory_request_equals_limit_and_cpu_is_requested(overlay: str) -> None:
    for workload in _workloads(overlay):
        for container in containers(workload):
            resources = container["resources"]
            request = _quantity_bytes(resources["requests"]["memory"])
            assert request == _quantity_bytes(resources["limits"]["memory"])
            assert resources["requests"]["cpu"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grace_period_outlasts_the_drain(overlay: str) -> None:
    for workload in _workloads(overlay):
        grace = pod_spec(workload)["terminationGracePeriodSeconds"]
        assert grace > DRAIN_SECONDS[component(workload)]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_bridge_is_a_single_recreated_replica(overlay: str) -> None:
    docs = render(overlay)
    bridge = named(docs, "Deployment", "lawful-bridge")
    assert bridge["spec"]["replicas"] == 1
    assert bridge["spec"]["strategy"] == {"type": "Recreate"}
    scaled = [d["spec"]["scaleTargetRef"]["name"] for d in of_kind(docs, "ScaledObject")]
    scaled += [
        d["spec"]["scaleTargetRef"]["name"] for d in of_kind(docs, "HorizontalPodAutoscaler")
    ]
    assert not set(scaled) & {f"lawful-{role}" for role in SINGLETONS}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workers_are_a_parallel_statefulset_with_state_volume(overlay: str) -> None:
    docs = render(overlay)
    worker = named(docs, "StatefulSet", "lawful-worker")
    assert worker["spec"]["podManagementPolicy"] == "Parallel"
    service = named(docs, "Service", worker["spec"]["serviceName"])
    assert service["spec"]["clusterIP"] == "None"
    (claim,) = worker["spec"]["volumeClaimTemplates"]
    data_dir = config_map_data(docs)["LAWFUL_DATA_DIR"]
    (container,) = containers(worker)
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts[data_dir] == claim["metadata"]["name"]
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_role_has_a_disruption_budget(overlay: str) -> None:
    docs = render(overlay)
    budgets = of_kind(docs, "PodDisruptionBudget")
    for workload in of_kind(docs, *WORKLOAD_KINDS):
        pod_labels = pod_template(workload)["metadata"]["labels"]
        matching = [
            b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        ]
        assert len(matching) == 1, workload["metadata"]["name"]
        assert matching[0]["spec"]["maxUnavailable"] == 1
        assert "minAvailable" not in matching[0]["spec"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_service_account_mounts_no_token(overlay: str) -> None:
    docs = render(overlay)
    account = named(docs, "ServiceAccount", "lawful")
    assert account["automountServiceAccountToken"] is False
    for workload in of_kind(docs, *POD_KINDS):
        assert pod_spec(workload)["serviceAccountName"] == "lawful"
        assert pod_spec(workload)["automountServiceAccountToken"] is False


def test_dev_runs_one_replica_of_each_role() -> None:
    docs = render("dev")
    workloads = of_kind(docs, *WORKLOAD_KINDS)
    assert len(workloads) == len(ROLE_ARGS) - 1  # every role but the backfill CronJob
    assert all(w["spec"]["replicas"] == 1 for w in workloads)
    assert not of_kind(docs, "ScaledObject", "HorizontalPodAutoscaler")


def test_prod_pins_images_by_digest_and_spreads_replicas() -> None:
    docs = render("prod")
    for workload in of_kind(docs, *POD_KINDS):
        for container in containers(workload):
            assert "@sha256:" in container["image"], container["image"]
        if workload["kind"] == "CronJob":
            continue
        if component(workload) in SINGLETONS:
            assert workload["spec"]["replicas"] == 1
        else:
            spec = pod_spec(workload)
            anti_affinity = spec["affinity"]["podAntiAffinity"]
            assert anti_affinity["requiredDuringSchedulingIgnoredDuringExecution"]
            assert spec["topologySpreadConstraints"]
            assert workload["spec"]["replicas"] >= 2


def test_prod_requires_every_credential_secret() -> None:
    for workload in _workloads("prod"):
        (secrets,) = [v for v in pod_spec(workload)["volumes"] if v["name"] == "secrets"]
        sources = secrets["projected"]["sources"]
        assert all(s["secret"].get("optional", False) is False for s in sources)
