"""CometD client sessions: subscriptions with replay cursors, liveness and expiry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from emulator.streaming.ids import new_client_id


class BayeuxClient:
    """One handshaken CometD client."""

    def __init__(self, client_id: str, browser_id: str, now: float) -> None:
        self.client_id = client_id
        self.browser_id = browser_id
        self.subscriptions: dict[str, int] = {}  # channel -> replay id of the last delivery
        self.connected = False  # set by the first /meta/connect
        self.last_seen = now
        self.polls = 0  # /meta/connect requests currently held
        self.poll_token = 0  # bumped by each connect so an older held connect returns
        self.delivered = 0
        self.wakeup = asyncio.Event()
        self.rotation = 0  # which subscription to read first, for fairness


class ClientRegistry:
    """All live clients of the org; a client expires when it stops reconnecting.

    Expiry runs on real (monotonic) time, not the org clock: moving the org clock forward to
    age events must not look like every connected client went silent.
    """

    def __init__(self, *, expiry_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.expiry_s = expiry_s
        self._clock = clock
        self._clients: dict[str, BayeuxClient] = {}
        self.dropped_total = 0

    def create(self, browser_id: str) -> BayeuxClient:
        self.sweep()
        client = BayeuxClient(new_client_id(), browser_id, self._clock())
        self._clients[client.client_id] = client
        return client

    def get(self, client_id: object) -> BayeuxClient | None:
        """The live client with this id, or None (unknown, dropped or expired)."""
        if not isinstance(client_id, str):
            return None
        client = self._clients.get(client_id)
        if client is not None and self._expired(client):
            self.drop(client_id)
            return None
        return client

    def touch(self, client: BayeuxClient) -> None:
        """The client was heard from (or answered) just now."""
        client.last_seen = self._clock()

    def _expired(self, client: BayeuxClient) -> bool:
        return client.polls == 0 and self._clock() - client.last_seen > self.expiry_s

    def sweep(self) -> None:
        for client_id in [cid for cid, c in self._clients.items() if self._expired(c)]:
            self.drop(client_id)

    def drop(self, client_id: str | None = None) -> int:
        """Forget one client (or all); held connects are woken up. Returns how many."""
        targets = list(self._clients) if client_id is None else [client_id]
        count = 0
        for target in targets:
            client = self._clients.pop(target, None)
            if client is not None:
                client.wakeup.set()
                count += 1
        self.dropped_total += count
        return count

    def count(self) -> int:
        return len(self._clients)

    def is_live(self, client: BayeuxClient) -> bool:
        return self._clients.get(client.client_id) is client

    def all(self) -> list[BayeuxClient]:
        return list(self._clients.values())

    def wake_all(self) -> None:
        for client in self._clients.values():
            if client.polls:
                client.wakeup.set()
