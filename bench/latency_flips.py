"""The record changes of bench/latency.py: one consent per person, flipped at a steady rate."""

from __future__ import annotations

import asyncio
import time
from collections import deque

from bench.latency_tracking import Change, Tracker
from emulator.clock import format_datetime
from emulator.org import Org
from emulator.transaction import RecordError

CONSENT = "ContactPointTypeConsent"
MIN_REUSE_S = 1.0  # a person's consent is changed at most once a second
CATCH_UP_S = 0.1  # a schedule further behind than this drops the missed slots
LOOK_AHEAD = 64  # least recently changed people looked at for a free one


def consent_per_person(org: Org) -> list[tuple[str, str]]:
    """(Individual id, id of its most recently captured OptIn/OptOut consent) per live person."""
    people = {r["Id"] for r in org.store.live("Individual") if not r.get("ShouldForget")}
    latest: dict[str, dict[str, object]] = {}
    for record in org.store.live(CONSENT):
        party = str(record.get("PartyId"))
        if party not in people or record.get("PrivacyConsentStatus") not in ("OptIn", "OptOut"):
            continue
        if not record.get("DataUsePurposeId"):
            continue
        known = latest.get(party)
        if known is None or str(record.get("CaptureDate")) > str(known.get("CaptureDate")):
            latest[party] = record
    return sorted((party, str(record["Id"])) for party, record in latest.items())


class Flipper:
    """Flips PrivacyConsentStatus (CaptureDate = now) of the people's consents, in turn."""

    def __init__(self, org: Org, tracker: Tracker, people: list[tuple[str, str]]) -> None:
        self.org = org
        self.tracker = tracker
        self.queue: deque[tuple[str, str]] = deque(people)
        self.last: dict[str, float] = {}
        self.failed = 0

    def keep_matched(self) -> list[tuple[str, str]]:
        """Keep only the people whose last change reached lawful.permission-changes.v1."""
        matched = {c.person for c in self.tracker.changes if c.done_at is not None}
        self.queue = deque(p for p in self.queue if p[0] in matched)
        return list(self.queue)

    def _next(self, now: float) -> tuple[str, str] | None:
        """The least recently changed person among the first few that is free (cheap: O(1))."""
        for index in range(min(LOOK_AHEAD, len(self.queue))):
            person, record_id = self.queue[index]
            if person not in self.tracker.busy and now - self.last.get(person, 0) >= MIN_REUSE_S:
                del self.queue[index]
                self.queue.append((person, record_id))
                return person, record_id
        return None

    def flip(self, person: str, record_id: str) -> bool:
        record = self.org.get(CONSENT, record_id) or {}
        status = "OptIn" if record.get("PrivacyConsentStatus") == "OptOut" else "OptOut"
        sent = time.monotonic()
        now = format_datetime(self.org.clock.now())
        values = {"PrivacyConsentStatus": status, "CaptureDate": now, "EffectiveFrom": now}
        try:
            self.org.update(CONSENT, record_id, {**values, "EffectiveTo": None})
        except RecordError:
            self.failed += 1
            return False
        self.last[person] = sent
        self.tracker.sent(Change(person, record_id, sent))
        return True

    async def run(
        self, *, rate: float, duration: float | None = None, count: int | None = None
    ) -> tuple[int, float, float]:
        """Changes at `rate`/s for `duration` s or `count` changes:
        (made, seconds, seconds the schedule waited for a free person)."""
        made, blocked = 0, 0.0
        started = due = released = time.monotonic()
        while True:
            now = time.monotonic()
            if (duration is not None and now - started >= duration) or made == count:
                return made, now - started, blocked
            if now - due > CATCH_UP_S:
                due = now
            while due <= now and made != count:
                picked = self._next(now)
                if picked is None:  # every person looked at is busy or changed < 1 s ago
                    await asyncio.sleep(0.005)
                    blocked += time.monotonic() - now
                    break
                if self.flip(*picked):
                    made += 1
                due += 1.0 / rate
            if now - released >= 1.0:
                self.tracker.release_stale(older_than=30.0)
                released = now
            await asyncio.sleep(max(0.0, min(due - time.monotonic(), 0.01)))
