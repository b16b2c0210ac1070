"""The live progress line: counters scraped from each role's /metrics."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def metric_sum(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of counter/gauge `name` (with or without `_total`) matching `labels`."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name not in (name, f"{name}_total"):
                continue
            if all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def topic_sum(text: str, name: str, topic_suffix: str) -> float:
    """Sum of `name` over the samples whose `topic` label ends with `topic_suffix`."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in (name, f"{name}_total") and sample.labels.get("topic", "").endswith(
                topic_suffix
            ):
                total += sample.value
    return total
