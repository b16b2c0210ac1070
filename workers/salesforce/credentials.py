"""Salesforce credentials from the Settings object, secret files and `lawful emulator`'s JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, model_validator

from workers.salesforce.errors import SalesforceConfigError
from workers.settings import SalesforceSettings

# Keys of the credentials file -> SalesforceSettings field names (aliases the emulator may use).
_FILE_ALIASES = {
    "private_key_path": "private_key_file",
    "ca_path": "ca_bundle",
    "consumer_key": "client_id",
    "consumer_secret": "client_secret",
}
_FILE_FIELDS = (
    "login_url",
    "instance_url",
    "client_id",
    "client_secret",
    "username",
    "password",
    "security_token",
    "private_key_file",
    "ca_bundle",
    "api_version",
)


class SalesforceCredentials(BaseModel):
    """Everything needed to obtain an access token; secrets stay `SecretStr`."""

    model_config = ConfigDict(frozen=True)

    flow: Literal["jwt", "password"]
    login_url: str
    client_id: str
    username: str
    client_secret: SecretStr | None = None
    password: SecretStr | None = None
    private_key: SecretStr | None = None
    ca_bundle: Path | None = None
    instance_url: str | None = None

    @model_validator(mode="after")
    def _flow_has_its_secrets(self) -> SalesforceCredentials:
        if self.flow == "jwt" and self.private_key is None:
            raise ValueError("the jwt flow needs a private key (private_key_file)")
        if self.flow == "password" and (self.password is None or self.client_secret is None):
            raise ValueError("the password flow needs password and client_secret")
        return self

    @property
    def token_url(self) -> str:
        return self.login_url.rstrip("/") + "/services/oauth2/token"


def _describe(exc: ValidationError) -> str:
    """Validation errors without the offending values (they may be secrets)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in err['loc']) or 'credentials'}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)
    )


def _read_credentials_file(path: Path) -> dict[str, Any]:
    try:
        raw = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise SalesforceConfigError(f"cannot read credentials file {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise SalesforceConfigError(f"credentials file {path} must hold a JSON object")
    values = {_FILE_ALIASES.get(key, key): value for key, value in raw.items()}
    return {key: value for key, value in values.items() if key in _FILE_FIELDS and value}


def merged_settings(settings: SalesforceSettings) -> SalesforceSettings:
    """Fill fields not set explicitly from `credentials_file` (explicit settings win)."""
    if settings.credentials_file is None:
        return settings
    from_file = _read_credentials_file(settings.credentials_file)
    base = settings.credentials_file.parent
    for key in ("private_key_file", "ca_bundle"):
        if key in from_file and not Path(from_file[key]).is_absolute():
            from_file[key] = str(base / from_file[key])
    explicit = settings.model_dump(include=settings.model_fields_set)
    try:
        return SalesforceSettings.model_validate({**from_file, **explicit})
    except ValidationError as exc:
        raise SalesforceConfigError(
            f"credentials file {settings.credentials_file}: {_describe(exc)}"
        ) from exc


def _secret_value(secret: SecretStr | None) -> SecretStr | None:
    return secret if secret is not None and secret.get_secret_value() else None


def _password(settings: SalesforceSettings) -> SecretStr | None:
    """The password flow's password: the user's password + security token (if any)."""
    password = _secret_value(settings.password)
    token = _secret_value(settings.security_token)
    if password is None or token is None:
        return password
    return SecretStr(password.get_secret_value() + token.get_secret_value())


def load_credentials(settings: SalesforceSettings) -> SalesforceCredentials:
    """Build credentials from settings (+ credentials file); raise `SalesforceConfigError`."""
    merged = merged_settings(settings)
    if not merged.client_id or not merged.username:
        raise SalesforceConfigError("salesforce.client_id and salesforce.username are required")
    private_key: SecretStr | None = None
    if merged.auth_flow == "jwt" and merged.private_key_file is not None:
        try:
            private_key = SecretStr(merged.private_key_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SalesforceConfigError(f"cannot read private key file: {exc}") from exc
    try:
        return SalesforceCredentials(
            flow=merged.auth_flow,  # validated against the Literal by the model
            login_url=merged.login_url,
            client_id=merged.client_id,
            username=merged.username,
            client_secret=_secret_value(merged.client_secret),
            password=_password(merged),
            private_key=private_key,
            ca_bundle=merged.ca_bundle,
            instance_url=merged.instance_url,
        )
    except ValidationError as exc:
        raise SalesforceConfigError(f"salesforce credentials: {_describe(exc)}") from exc
