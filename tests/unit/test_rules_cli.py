"""`lawful evaluate`: exit codes, one-line errors naming the field, forward-compatible input,
the bundled examples and `--explain`."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from workers.cli import main

pytestmark = pytest.mark.unit

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.json"))

DOC: dict[str, Any] = {
    "at": "2026-06-01T10:00:00Z",
    "person": {
        "individual_id": "0PK000000000009AAA",
        "jurisdiction": "UK",
        "birth_date": "1990-01-01",
    },
    "purposes": [{"id": "pet-mkt", "category": "MARKETING", "basis": "CONSENT"}],
    "events": [
        {
            "kind": "CONSENT_RECORDED",
            "event_id": "c1",
            "occurred_at": "2026-01-01T10:00:00Z",
            "purpose_id": "pet-mkt",
            "channel": "EMAIL",
            "status": "OPT_IN",
            "capture_source": "web",
            "capture_method": "CHECKBOX_UNTICKED",
            "notice_version": "PN-1",
        }
    ],
    "queries": [{"purpose_id": "pet-mkt", "channel": "EMAIL"}],
}


def _write(tmp_path: Path, doc: Any, name: str = "facts.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def _run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, doc: Any, *args: str
) -> tuple[int, str, str]:
    path = _write(tmp_path, doc)
    code = main(["evaluate", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _mutated(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def test_valid_document(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _run(capsys, tmp_path, DOC)
    assert (code, err) == (0, "")
    result = json.loads(out)
    [decision] = result["decisions"]
    assert decision["permitted"] is True
    assert (decision["reason"], decision["row"]) == ("CONSENT_ACTIVE", "T10")
    assert "trace" not in decision
    assert result["audit"]
    assert result["rejections"] == []


def _assert_one_error_line(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0]


def test_malformed_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _run(capsys, tmp_path, '{"person": {"individual_id": "x",,}')
    _assert_one_error_line(code, out, err, "facts.json:1:", "malformed JSON")


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("events", 0, "channel"), "FAX", "events[0].channel"),
        (("events", 0, "status"), "MAYBE", "events[0].status"),
        (("purposes", 0, "basis"), "WHIM", "purposes[0].basis"),
        (("events", 0, "occurred_at"), "2026-01-01T10:00:00", "events[0].occurred_at"),
        (("at",), "2026-06-01T10:00:00", "at"),
        (("person", "birth_date"), "2026-02-30", "person.birth_date"),
        (("events", 0, "occurred_at"), "2026-02-30T10:00:00Z", "events[0].occurred_at"),
        (("person", "jurisdiction"), "gb", "person.jurisdiction"),
    ],
)
def test_invalid_field_exit_2_with_one_line_naming_it(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    path: tuple[str | int, ...],
    value: Any,
    field: str,
) -> None:
    code, out, err = _run(capsys, tmp_path, _mutated(path, value))
    _assert_one_error_line(code, out, err, f" {field}:")


def test_event_for_unknown_purpose(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _run(capsys, tmp_path, _mutated(("events", 0, "purpose_id"), "ghost"))
    _assert_one_error_line(code, out, err, "c1", "purpose_id", "ghost")


def test_unknown_event_kind(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _run(capsys, tmp_path, _mutated(("events", 0, "kind"), "TELEPATHY"))
    _assert_one_error_line(code, out, err, "events[0]")


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["evaluate", str(tmp_path / "absent.json")])
    out, err = capsys.readouterr()
    _assert_one_error_line(code, out, err, "absent.json")


def test_unknown_extra_fields_are_ignored(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, plain, _ = _run(capsys, tmp_path, DOC)
    assert code == 0
    extra = copy.deepcopy(DOC)
    extra["future_top_level"] = {"x": 1}
    extra["person"]["nickname"] = "Al"
    extra["purposes"][0]["owner_team"] = "growth"
    extra["events"][0]["ui_locale"] = "en-GB"
    extra["queries"][0]["priority"] = 3
    code, out, err = _run(capsys, tmp_path, extra)
    assert (code, err) == (0, "")
    assert json.loads(out) == json.loads(plain)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_evaluates(capsys: pytest.CaptureFixture[str], example: Path) -> None:
    code = main(["evaluate", str(example)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["decisions"]
    for decision in result["decisions"]:
        assert decision["rule"].startswith(("R", "Art"))
        assert "trace" not in decision


def test_examples_exist() -> None:
    assert len(EXAMPLES) >= 1


def test_explain_adds_a_trace(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _run(capsys, tmp_path, DOC, "--explain")
    assert code == 0
    [decision] = json.loads(out)["decisions"]
    trace = decision["trace"]
    assert trace
    rules = [step["rule"] for step in trace]
    assert rules[0] == "R1"
    assert "R6" in rules
    assert all(step["passed"] for step in trace)


def test_explain_trace_ends_at_the_failing_rule(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc = copy.deepcopy(DOC)
    doc["events"].append(
        {"kind": "DM_OBJECTION", "event_id": "o1", "occurred_at": "2026-03-01T00:00:00Z"}
    )
    code, out, _ = _run(capsys, tmp_path, doc, "--explain")
    assert code == 0
    [decision] = json.loads(out)["decisions"]
    last = decision["trace"][-1]
    assert (last["rule"], last["passed"], last["reason"]) == ("R4", False, "DM_OBJECTION")
    assert decision["reason"] == "DM_OBJECTION"


def test_at_option_overrides_document(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _run(capsys, tmp_path, DOC, "--at", "2028-01-01T10:00:00Z")
    assert code == 0
    [decision] = json.loads(out)["decisions"]
    assert decision["reason"] == "CONSENT_DECAYED"


def test_error_location_keeps_mapping_keys_and_drops_event_tags() -> None:
    from workers.facts_io import _location  # noqa: PLC0415 - the helper under test

    assert _location(("events", 3, "NOTICE", "occurred_at")) == "events[3].occurred_at"
    assert _location(("config", "digital_consent_age", "UK")) == "config.digital_consent_age.UK"
