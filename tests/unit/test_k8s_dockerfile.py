"""The Dockerfile's project rules (hadolint and checkov in .ci/k8s-check cover general practice)."""

from __future__ import annotations

import json
import re

import pytest

from tests.unit.test_k8s_render import ROOT

pytestmark = pytest.mark.unit

SECRETISH = re.compile(r"(SECRET|PASSWORD|TOKEN|PRIVATE_KEY|TOMBSTONE_KEY)", re.IGNORECASE)


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    logical = re.sub(r"\\\n", " ", text)
    pairs = []
    for line in logical.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            instruction, _, args = stripped.partition(" ")
            pairs.append((instruction.upper(), args.strip()))
    return pairs


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def test_base_images_are_pinned_versions() -> None:
    for name, args in _instructions():
        if name == "FROM":
            image = args.split()[0]
            if ":" in image or "@" in image:
                assert not image.endswith(":latest"), image
                assert re.search(r":\d+\.\d+\.\d+", image) or "@sha256:" in image, image
        if name == "COPY" and "--from=" in args and ":" in args.split()[0]:
            assert re.search(r"--from=\S+:\d+\.\d+\.\d+", args), args


def test_final_stage_runs_lawful_as_non_root_in_exec_form() -> None:
    final = _final_stage()
    users = [args for name, args in final if name == "USER"]
    assert users
    assert users[-1].split(":")[0] not in {"0", "root"}
    (entrypoint,) = [args for name, args in final if name == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["lawful"]
    (cmd,) = [args for name, args in final if name == "CMD"]
    assert json.loads(cmd) in (["worker"], ["bridge"], ["api"])


def test_final_stage_takes_nothing_from_the_build_context() -> None:
    copies = [args for name, args in _final_stage() if name in {"COPY", "ADD"}]
    assert copies
    assert all(args.startswith("--from=build ") for args in copies), copies
    runs = " ".join(args for name, args in _final_stage() if name == "RUN")
    assert "uv " not in runs
    assert "apt-get install" not in runs


def test_no_secret_is_baked_into_the_image() -> None:
    for name, args in _instructions():
        if name in {"ENV", "ARG", "LABEL"}:
            assert not SECRETISH.search(args), args


def test_dockerignore_keeps_local_state_and_keys_out() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    ignored = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    for entry in (".git", ".venv", "build", "**/*.key", "**/*.pem", "**/.env", "tests", "k8s"):
        assert entry in ignored, entry
    for needed in ("pyproject.toml", "uv.lock", "README.md", "workers", "salesforce"):
        assert needed not in ignored, needed
