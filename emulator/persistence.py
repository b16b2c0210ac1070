"""Optional JSON persistence of the org's records, so a demo org survives a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson

from emulator.org import Org

FORMAT_VERSION = 1


def snapshot(org: Org) -> dict[str, Any]:
    store = org.store
    with store.lock:
        return {
            "format": FORMAT_VERSION,
            "org_id": org.config.org_id,
            "tables": {name: list(table.values()) for name, table in store.tables.items()},
            "deleted_log": store.deleted_log,
            "id_counters": dict(store.ids.counters),
            "auto_numbers": dict(store.auto_numbers),
            "commit_number": store.commit_number,
        }


def save(org: Org, path: Path) -> None:
    """Write atomically (temp file + rename)."""
    _write(path, snapshot(org))


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(orjson.dumps(data))
    temporary.replace(path)


async def autosave(org: Org, path: Path, interval_s: float) -> None:
    """Save every `interval_s` seconds when something was committed since the last save."""
    saved_at = org.store.commit_number
    while True:
        await asyncio.sleep(interval_s)
        if org.store.commit_number == saved_at:
            continue
        saved_at = org.store.commit_number
        data = snapshot(org)
        await asyncio.get_running_loop().run_in_executor(None, _write, path, data)


def load(org: Org, path: Path) -> int:
    """Replace the org's records with the file's; returns the number of records loaded."""
    data = orjson.loads(path.read_bytes())
    if data.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: unsupported emulator data format {data.get('format')!r}")
    store = org.store
    count = 0
    with store.lock:
        user_table = dict(store.tables.get("User", {}))
        store.tables.clear()
        for name, rows in data["tables"].items():
            if org.schema.get(name) is None:
                continue
            store.tables[name] = {row["Id"]: row for row in rows}
            count += len(rows)
        store.tables.setdefault("User", {}).update(
            {k: v for k, v in user_table.items() if k not in store.tables["User"]}
        )
        store.deleted_log = data.get("deleted_log", {})
        store.ids.counters.update(data.get("id_counters", {}))
        store.auto_numbers.update(data.get("auto_numbers", {}))
        store.commit_number = max(store.commit_number, int(data.get("commit_number", 0)))
        store.invalidate_indexes()
    return count
