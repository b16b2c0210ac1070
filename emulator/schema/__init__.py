"""The org's schema: object and field definitions (standard ones in code, custom ones from XML)."""

from emulator.schema.model import FieldDef, ObjectDef, Schema

__all__ = ["FieldDef", "ObjectDef", "Schema"]
