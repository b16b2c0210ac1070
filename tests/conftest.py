"""Shared test configuration. Fixture modules live in tests/fixtures/ and are listed here."""

pytest_plugins: list[str] = [
    "tests.fixtures.redis",
    "tests.fixtures.emulator",
    "tests.fixtures.kafka",
]
