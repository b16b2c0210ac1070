"""The subset of SOQL lawful needs: parse, then run against the store."""

from emulator.soql.parser import SoqlError, parse

__all__ = ["SoqlError", "parse"]
