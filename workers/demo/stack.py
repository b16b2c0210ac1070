"""The services of the demo: the emulated org, Tansu, Redis, and lawful's roles as processes."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from emulator.config import OrgConfig
from emulator.seed import seed_org
from emulator.server import EmulatorServer
from workers.demo.processes import Role
from workers.embedded.redis import EmbeddedRedis, free_port, redis_answers
from workers.embedded.tansu import EmbeddedTansu

# Faust's timeouts tuned for the single in-memory broker of the demo (broker.md §9); set only in
# the demo's child processes, never as production defaults.
TANSU_FAUST_ENV = {
    "BROKER_SESSION_TIMEOUT": "6",
    "BROKER_REBALANCE_TIMEOUT": "3",
    "BROKER_HEARTBEAT_INTERVAL": "1",
}


@dataclass
class Stack:
    """Everything the demo started, so that it can all be stopped in reverse order."""

    state_dir: Path
    partitions: int = 4
    emulator: EmulatorServer | None = None
    tansu: EmbeddedTansu | None = None
    embedded_redis: EmbeddedRedis | None = None
    redis_url: str = ""
    roles: list[Role] = field(default_factory=list)
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def start_org(self, persons: int, seed: int) -> dict[str, object]:
        config = OrgConfig(daily_api_limit=1_000_000)
        self.emulator = EmulatorServer(config, state_dir=self.state_dir / "emulator")
        self.emulator.start_in_thread()
        return seed_org(self.emulator.org, persons, seed=seed)

    def start_broker(self) -> str:
        self.tansu = EmbeddedTansu().start()
        return self.tansu.bootstrap

    def start_redis(self, url: str | None) -> str:
        if url is not None:
            if not redis_answers(url):
                raise SystemExit(f"lawful demo: no Redis answers at {url}")
            self.redis_url = url
        else:
            self.embedded_redis = EmbeddedRedis().start()
            self.redis_url = self.embedded_redis.url
        return self.redis_url

    def env(self, web_port: int) -> dict[str, str]:
        """The environment of one role: the demo's services and nothing from the host's LAWFUL_*."""
        assert self.emulator is not None  # noqa: S101 - start_org() runs first
        assert self.tansu is not None  # noqa: S101 - start_broker() runs first
        keys = self.state_dir / "api-keys"
        if not keys.exists():
            keys.write_text(f"demo operator {self.api_key}\n", encoding="utf-8")
            keys.chmod(0o600)
        tombstone_key = self.state_dir / "tombstone-key"
        if not tombstone_key.exists():
            tombstone_key.write_text(secrets.token_hex(32), encoding="utf-8")
            tombstone_key.chmod(0o600)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAWFUL_")}
        env.update(TANSU_FAUST_ENV)
        env.update(
            {
                "LAWFUL_SALESFORCE__CREDENTIALS_FILE": str(self.emulator.credentials_path),
                "LAWFUL_SALESFORCE__AUTH_FLOW": "jwt",
                "LAWFUL_REDIS__URL": self.redis_url,
                "LAWFUL_REDIS__KEY_PREFIX": "lawful-demo:",
                "LAWFUL_KAFKA__BOOTSTRAP": self.tansu.url,
                "LAWFUL_KAFKA__PARTITIONS": str(self.partitions),
                "LAWFUL_DATA_DIR": str(self.state_dir / "data"),
                "LAWFUL_TOMBSTONE_KEY": tombstone_key.read_text(encoding="utf-8"),
                "LAWFUL_API__API_KEYS_FILE": str(keys),
                "LAWFUL_WEB__HOST": "127.0.0.1",
                "LAWFUL_WEB__PORT": str(web_port),
            }
        )
        return env

    def start_role(self, name: str, command: list[str], web_port: int | None = None) -> Role:
        logs = self.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        port = web_port if web_port is not None else free_port()
        role = Role(name, command, self.env(port), logs).start()
        self.roles.append(role)
        return role

    def stop(self) -> None:
        for role in reversed(self.roles):
            role.stop()
        if self.tansu is not None:
            self.tansu.stop()
        if self.embedded_redis is not None:
            self.embedded_redis.stop()
        if self.emulator is not None:
            self.emulator.stop()
