"""The complete schema of the emulated org: standard objects plus lawful's metadata."""

from __future__ import annotations

from pathlib import Path

from emulator.schema.metadata import load_metadata
from emulator.schema.model import Schema
from emulator.schema.standard_activity import activity_objects
from emulator.schema.standard_consent import consent_objects
from emulator.schema.standard_people import person_objects


def build_schema(metadata_dir: Path | None = None) -> Schema:
    schema = Schema()
    for obj in (*person_objects(), *consent_objects(), *activity_objects()):
        schema.add(obj)
    load_metadata(schema, metadata_dir)
    return schema
