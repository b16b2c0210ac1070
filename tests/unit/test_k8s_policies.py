"""NetworkPolicies, autoscaling and monitoring resources of the rendered overlays."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.unit.test_k8s_render import (
    OVERLAYS,
    POD_KINDS,
    ROOT,
    WORKLOAD_KINDS,
    Doc,
    containers,
    named,
    of_kind,
    pod_template,
    render,
)
from workers.topics import APP_ID, INPUT_TOPICS, topic_by_name

pytestmark = pytest.mark.unit

DNS, KAFKA_PLAIN, KAFKA_TLS, REDIS, HTTPS = 53, 9092, 9093, 6379, 443
ALLOWED_EGRESS = {DNS, KAFKA_PLAIN, KAFKA_TLS, REDIS, HTTPS}


def _ports(rules: list[Doc]) -> set[int | str]:
    return {port["port"] for rule in rules for port in rule.get("ports", [])}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_default_deny_covers_ingress_and_egress(overlay: str) -> None:
    deny = named(render(overlay), "NetworkPolicy", "lawful-default-deny")
    assert deny["spec"]["podSelector"] == {}
    assert sorted(deny["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_egress_only_to_dns_kafka_redis_and_salesforce(overlay: str) -> None:
    policies = of_kind(render(overlay), "NetworkPolicy")
    egress = [rule for p in policies for rule in p["spec"].get("egress", [])]
    assert egress
    for rule in egress:
        assert rule.get("ports"), "an egress rule without ports allows every port"
        assert rule.get("to"), "an egress rule without peers allows every destination"
    assert _ports(egress) <= ALLOWED_EGRESS
    assert {DNS, REDIS, HTTPS} <= _ports(egress)


def _selects(policy: Doc, pod_labels: dict[str, str]) -> bool:
    selector = policy["spec"]["podSelector"]
    assert not selector.get("matchExpressions"), "only matchLabels selectors are checked"
    labels: dict[str, str] = selector.get("matchLabels", {})
    return labels.items() <= pod_labels.items()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_role_reaches_salesforce_kafka_redis_and_dns(overlay: str) -> None:
    docs = render(overlay)
    kafka = KAFKA_TLS if overlay == "prod" else KAFKA_PLAIN
    for workload in of_kind(docs, *POD_KINDS):
        labels = pod_template(workload)["metadata"]["labels"]
        egress = [
            rule
            for policy in of_kind(docs, "NetworkPolicy")
            if _selects(policy, labels)
            for rule in policy["spec"].get("egress", [])
        ]
        assert {DNS, kafka, REDIS, HTTPS} <= _ports(egress), workload["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_only_to_the_api_and_metrics(overlay: str) -> None:
    docs = render(overlay)
    api_ports = {
        p["containerPort"]
        for c in containers(named(docs, "Deployment", "lawful-api"))
        for p in c["ports"]
    }
    for policy in of_kind(docs, "NetworkPolicy"):
        ingress = policy["spec"].get("ingress", [])
        if not ingress:
            continue
        selector = policy["spec"]["podSelector"].get("matchLabels", {})
        if selector.get("app.kubernetes.io/component") == "api":
            assert _ports(ingress) <= {"http", *api_ports}
        else:
            assert _ports(ingress) == {6066}
            assert all(rule.get("from") for rule in ingress), "metrics open to everyone"


def test_prod_kafka_egress_is_tls_only_and_api_ingress_is_restricted() -> None:
    docs = render("prod")
    egress = [r for p in of_kind(docs, "NetworkPolicy") for r in p["spec"].get("egress", [])]
    assert KAFKA_PLAIN not in _ports(egress)
    api = named(docs, "NetworkPolicy", "lawful-api-ingress")
    assert all(rule.get("from") for rule in api["spec"]["ingress"])


def test_keda_scales_workers_on_group_lag_up_to_the_input_partitions() -> None:
    docs = render("prod")
    scaled = named(docs, "ScaledObject", "lawful-worker")
    assert scaled["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": "lawful-worker",
    }
    assert scaled["spec"]["maxReplicaCount"] == max(
        topic_by_name(t).partitions for t in INPUT_TOPICS
    )
    triggers = scaled["spec"]["triggers"]
    assert {t["metadata"]["topic"] for t in triggers} == set(INPUT_TOPICS)
    for trigger in triggers:
        assert trigger["type"] == "kafka"
        assert trigger["metadata"]["consumerGroup"] == APP_ID
        assert trigger["metadata"]["allowIdleConsumers"] == "false"
        named(docs, "TriggerAuthentication", trigger["authenticationRef"]["name"])


def test_api_scales_on_cpu() -> None:
    hpa = named(render("prod"), "HorizontalPodAutoscaler", "lawful-api")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "lawful-api"
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_scraped_and_tracing_is_off_by_default(overlay: str) -> None:
    docs = render(overlay)
    for workload in of_kind(docs, *WORKLOAD_KINDS):
        annotations = workload["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        ports = {str(p["containerPort"]) for c in containers(workload) for p in c["ports"]}
        assert annotations["prometheus.io/port"] in ports
    (settings,) = [d for d in of_kind(docs, "ConfigMap") if "OTEL_SDK_DISABLED" in d["data"]]
    assert settings["data"]["OTEL_SDK_DISABLED"] == "true"


def test_alert_rules_use_lawful_metric_names_documented_in_deploy_md() -> None:
    rules = named(render("prod"), "PrometheusRule", "lawful")
    deploy_md = Path(ROOT / "docs/deploy.md").read_text(encoding="utf-8")
    for group in rules["spec"]["groups"]:
        for rule in group["rules"]:
            assert rule["alert"] in deploy_md, f"alert {rule['alert']} is not documented"
            for metric in re.findall(r"\blawful_[a-z_]+", rule["expr"]):
                assert f"`{metric}" in deploy_md, f"metric {metric} is not documented"
