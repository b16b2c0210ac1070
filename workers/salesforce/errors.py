"""Typed failures of the Salesforce adapters (all under the project's `LawfulError` root)."""

from __future__ import annotations

from typing import ClassVar

from schemas.errors import ConfigError, LawfulError, TransientError


class SalesforceAuthError(LawfulError):
    """The token endpoint refused the credentials (wrong key, user not approved, ...)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"Salesforce login refused: {error}: {description}")
        self.error = error
        self.description = description


class SalesforceUnavailableError(TransientError):
    """Network failure, 5xx or a temporary limit: retrying later may succeed."""


class ApiLimitExceededError(SalesforceUnavailableError):
    """Salesforce answered REQUEST_LIMIT_EXCEEDED and retries did not help."""


class ApiBudgetExhaustedError(LawfulError):
    """lawful's share of the daily API allowance is used up; the call was not sent."""

    retriable: ClassVar[bool] = False

    def __init__(self, used: int, allowed: int, total: int) -> None:
        super().__init__(
            f"API budget exhausted: {used} of {total} daily requests used, "
            f"lawful may use {allowed}; refusing further calls"
        )
        self.used = used
        self.allowed = allowed
        self.total = total


class SalesforceRequestError(LawfulError):
    """Salesforce rejected a request (4xx other than limits/session); retrying will not help."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(f"Salesforce {status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message


class SalesforceConfigError(ConfigError):
    """Salesforce credentials or settings are missing or unreadable."""


class StreamingError(SalesforceUnavailableError):
    """The streaming connection failed; the subscriber reconnects from the stored position."""


class ReplayIdExpiredError(LawfulError):
    """The stored replay id is outside the retention window: the pipeline must run a backfill."""

    retriable: ClassVar[bool] = False

    def __init__(self, channel: str, replay_id: int | None, server_message: str) -> None:
        super().__init__(f"replay id {replay_id} on {channel} is no longer retained")
        self.channel = channel
        self.replay_id = replay_id
        self.server_message = server_message


ReplayIdExpired = ReplayIdExpiredError  # the name the pipeline's brief uses
