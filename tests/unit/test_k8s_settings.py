"""Every Settings field is configured by the manifests or documented as optional, and the
ConfigMap plus the mounted secret files load into a valid Settings object."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

import workers.settings
from tests.unit.test_k8s_render import (
    OVERLAYS,
    POD_KINDS,
    ROOT,
    Doc,
    config_map_data,
    containers,
    of_kind,
    pod_spec,
    render,
)
from workers.settings import Settings

pytestmark = pytest.mark.unit

PREFIX = "LAWFUL_"
DOC_ROW = re.compile(r"^\|\s*`(LAWFUL_[A-Z0-9_]+)`\s*\|(?P<rest>.*)$")


def env_names(model: type[BaseModel], prefix: str = PREFIX) -> Iterator[str]:
    """Env var of every leaf field, nested models joined with `__` (pydantic-settings rule)."""
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from env_names(annotation, f"{prefix}{name.upper()}__")
        else:
            yield f"{prefix}{name.upper()}"


def documented_optional() -> set[str]:
    """Variables whose row in docs/deploy.md's settings table says `optional`."""
    text = (ROOT / "docs/deploy.md").read_text(encoding="utf-8")
    rows = (DOC_ROW.match(line) for line in text.splitlines())
    return {m[1] for m in rows if m and "optional" in m["rest"].lower()}


def test_settings_walk_finds_nested_fields() -> None:
    names = set(env_names(Settings))
    assert {"LAWFUL_KAFKA__BOOTSTRAP", "LAWFUL_TOMBSTONE_KEY", "LAWFUL_WEB__PORT"} <= names
    assert "LAWFUL_KAFKA" not in names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_is_in_the_config_map_or_documented_optional(overlay: str) -> None:
    configured = set(config_map_data(render(overlay)))
    missing = set(env_names(Settings)) - configured - documented_optional()
    assert not missing, f"set these in k8s/**/settings.env or document them as optional: {missing}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_config_map_has_no_unknown_lawful_variable(overlay: str) -> None:
    configured = {k for k in config_map_data(render(overlay)) if k.startswith(PREFIX)}
    assert configured <= set(env_names(Settings))


def _secret_files(workload: Doc) -> tuple[str, dict[str, str]]:
    """(mount path, {file name: secret name}) of the projected secrets volume."""
    (volume,) = [v for v in pod_spec(workload)["volumes"] if v["name"] == "secrets"]
    files = {
        item["path"]: source["secret"]["name"]
        for source in volume["projected"]["sources"]
        for item in source["secret"]["items"]
    }
    (container,) = containers(workload)
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "secrets"]
    return mount["mountPath"], files


def _fake_secret(file_name: str) -> str:
    """Plausible content for each secret file (nested settings are JSON documents)."""
    contents = {
        "lawful_redis": json.dumps({"username": "lawful", "password": "redis-pw"}),
        "lawful_kafka": json.dumps({"sasl_username": "lawful", "sasl_password": "kafka-pw"}),
        "lawful_tombstone_key": "tombstone-secret",
    }
    return contents.get(file_name, "-----BEGIN PLACEHOLDER-----\n")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_config_map_and_secret_files_load_into_settings(
    overlay: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = render(overlay)
    data = config_map_data(docs)
    for workload in of_kind(docs, *POD_KINDS):
        mount_path, files = _secret_files(workload)
        # load_settings() reads this directory; the mount must be exactly it.
        assert f'"{mount_path}"' in inspect.getsource(workers.settings)
        secrets_dir = tmp_path / workload["metadata"]["name"]
        secrets_dir.mkdir()
        for file_name in files:
            (secrets_dir / file_name).write_text(_fake_secret(file_name), encoding="utf-8")
        (container,) = containers(workload)
        env = {**data, **{e["name"]: e["value"] for e in container["env"] if "value" in e}}
        for key, value in env.items():
            monkeypatch.setenv(key, value)

        settings = Settings(_secrets_dir=secrets_dir)

        assert settings.tombstone_key is not None
        assert settings.tombstone_key.get_secret_value() == "tombstone-secret"
        assert settings.redis.password is not None
        assert settings.redis.password.get_secret_value() == "redis-pw"
        assert settings.kafka.sasl_password is not None
        assert settings.kafka.sasl_password.get_secret_value() == "kafka-pw"
        assert settings.web.host == "0.0.0.0"  # noqa: S104  # probes reach the pod IP
        if workload["kind"] != "CronJob":  # the backfill serves nothing
            ports = {p["containerPort"] for p in container["ports"]}
            assert settings.web.port in ports
        for path in (settings.salesforce.private_key_file, settings.kafka.ca_file):
            if path is not None:
                assert path.parent == Path(mount_path)
                assert path.name in files


def _environ_reads() -> set[str]:
    """Variables read with os.environ.get/os.getenv outside Settings (demo/embedded excluded)."""
    pattern = re.compile(r"""(?:os\.environ\.get|os\.getenv)\(\s*["']([A-Z0-9_]+)["']""")
    names: set[str] = set()
    for path in sorted((ROOT / "workers").rglob("*.py")):
        if {"demo", "embedded"} & set(path.relative_to(ROOT).parts):
            continue  # they set up local processes, not the deployed roles
        names |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_variables_read_outside_settings_are_set_in_every_pod(overlay: str) -> None:
    reads = _environ_reads()
    assert "POD_NAME" in reads  # the worker's static membership id
    docs = render(overlay)
    for workload in of_kind(docs, *POD_KINDS):
        (container,) = containers(workload)
        env = {e["name"] for e in container["env"]} | set(config_map_data(docs))
        assert reads <= env, (workload["metadata"]["name"], sorted(reads - env))
