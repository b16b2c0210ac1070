"""The privacy-details search query: validated filters, a digest and the pagination cursor."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from schemas.codes import Reason
from schemas.enums import Basis, Channel

Term = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.\-]*$")]
Cursor = Annotated[str, Field(max_length=40, pattern=r"^[0-9]{1,9}\.[0-9a-f]{16}$")]
MAX_LIMIT = 200
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _instant(value: AwareDatetime | date | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min, tzinfo=UTC)


class SearchQuery(BaseModel):
    """Filters of `GET /v1/search` (every one optional; cell filters apply to the same cell)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    purpose: Term | None = Field(None, description="Purpose id, its category, parent or family")
    channel: Channel | None = None
    permitted: bool | None = None
    reason: Reason | None = None
    basis: Basis | None = None
    brand: Term | None = None
    org: Term | None = None
    jurisdiction: Term | None = None
    expires_from: AwareDatetime | date | None = Field(None, description="valid_until >= this")
    expires_to: AwareDatetime | date | None = Field(None, description="valid_until < this")
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    cursor: Cursor | None = None

    @field_validator("expires_from", "expires_to")
    @classmethod
    def _plausible(cls, value: AwareDatetime | date | None) -> AwareDatetime | date | None:
        instant = _instant(value)
        if instant is not None and not EARLIEST <= instant <= LATEST:
            raise ValueError("must lie between 1970 and 2200")
        return value

    @field_validator("expires_to")
    @classmethod
    def _after_start(
        cls, value: AwareDatetime | date | None, info: ValidationInfo
    ) -> AwareDatetime | date | None:
        start, end = _instant(info.data.get("expires_from")), _instant(value)
        if start is not None and end is not None and start >= end:
            raise ValueError("must be after expires_from")
        return value

    @property
    def window_start(self) -> datetime | None:
        return _instant(self.expires_from)

    @property
    def window_end(self) -> datetime | None:
        return _instant(self.expires_to)

    @property
    def has_window(self) -> bool:
        return self.expires_from is not None or self.expires_to is not None

    @property
    def has_cell_filter(self) -> bool:
        return any(v is not None for v in (self.permitted, self.reason, self.basis))

    def digest(self) -> str:
        """Identifies the filters (not the page): the cursor and the cached result carry it."""
        filters = self.model_dump(mode="json", exclude={"limit", "cursor"})
        text = "&".join(f"{k}={filters[k]}" for k in sorted(filters))
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    def offset(self) -> int:
        """Where the page starts: 0, or the offset in a cursor issued for the same filters."""
        if self.cursor is None:
            return 0
        offset, _, digest = self.cursor.partition(".")
        if digest != self.digest():
            raise ValueError("cursor belongs to another search")
        return int(offset)


def make_cursor(offset: int, digest: str) -> str:
    return f"{offset}.{digest}"
