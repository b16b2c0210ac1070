"""The one typed Settings object (prefix `LAWFUL_`, nested with `__`, secrets from files)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SalesforceSettings(BaseModel):
    """How to reach the org (a real one, or `lawful emulator`)."""

    login_url: str = Field("https://login.salesforce.com", description="OAuth/SOAP login host")
    instance_url: str | None = Field(None, description="Instance URL; discovered at login if unset")
    api_version: str = Field("62.0", description="REST/Streaming API version")
    auth_flow: str = Field("jwt", description="jwt (production) or password")
    client_id: str | None = Field(None, description="Connected app consumer key")
    client_secret: SecretStr | None = Field(None, description="Connected app secret")
    username: str | None = Field(None, description="Integration user")
    password: SecretStr | None = Field(None, description="Password flow only")
    security_token: SecretStr | None = Field(
        None, description="Password flow: appended to the password unless the IP is trusted"
    )
    private_key_file: Path | None = Field(None, description="PEM key for the JWT bearer flow")
    ca_bundle: Path | None = Field(None, description="CA file to trust (the emulator's local CA)")
    credentials_file: Path | None = Field(
        None, description="JSON credentials written by `lawful emulator`; fills the fields above"
    )
    api_budget_share: float = Field(
        0.5, gt=0, le=1, description="Share of the daily API allowance lawful may use"
    )
    max_concurrency: int = Field(4, ge=1, description="Concurrent REST calls")
    request_timeout: float = Field(30.0, gt=0, description="Seconds before a REST call times out")
    retry_attempts: int = Field(5, ge=1, description="Attempts for 5xx/REQUEST_LIMIT_EXCEEDED")
    retry_wait_max: float = Field(30.0, gt=0, description="Longest back-off between retries (s)")
    call_options_client: str = Field(
        "lawful", description="Sforce-Call-Options client name: marks lawful's own writes in CDC"
    )
    streaming_liveness_timeout: float = Field(
        300.0,
        gt=0,
        description="Resubscribe when neither an event nor a successful connect came for this long",
    )
    streaming_replay_default: int = Field(
        -1, ge=-2, le=-1, description="Replay option without a stored id: -1 new only, -2 all"
    )
    streaming_connect_linger: float = Field(
        0.01,
        ge=0,
        le=1.0,
        description="Seconds the next CometD connect waits after a reply with events (batching)",
    )


class RedisSettings(BaseModel):
    """Where lawful keeps durable state (replay positions, projections)."""

    url: str = Field("redis://127.0.0.1:6379/0", description="Redis URL (rediss:// for TLS)")
    username: str | None = Field(None, description="ACL user")
    password: SecretStr | None = Field(None, description="ACL password")
    key_prefix: str = Field("lawful:", description="Prefix of every key lawful writes")


class KafkaSettings(BaseModel):
    bootstrap: str = Field("kafka://127.0.0.1:9092", description="Broker URL(s)")
    security_protocol: str = Field("PLAINTEXT", description="PLAINTEXT, SSL, SASL_SSL")
    sasl_mechanism: str | None = Field(None, description="SCRAM-SHA-512 or PLAIN")
    sasl_username: str | None = Field(None, description="SASL user")
    sasl_password: SecretStr | None = Field(None, description="SASL password")
    ca_file: Path | None = Field(None, description="Broker CA for TLS")
    topic_prefix: str = Field("", description="Prefix for every topic (tests use a unique one)")
    partitions: int = Field(8, ge=1, description="Partitions of lawful's topics")


class WebSettings(BaseModel):
    host: str = Field("127.0.0.1", description="Bind address")
    port: int = Field(6066, description="Health, metrics and API port")


DEFAULT_CDC_ENTITIES: tuple[str, ...] = (
    "Individual",
    "Contact",
    "Lead",
    "Account",
    "ContactPointTypeConsent",
    "ContactPointEmail",
    "ContactPointPhone",
    "ContactPointAddress",
    "DataUsePurpose",
    "Opportunity",
    "OpportunityContactRole",
    "Lawful_LIA__c",
    "Lawful_Objection__c",
    "Lawful_Restriction__c",
    "Lawful_Erasure_Request__c",
    "Lawful_Legal_Hold__c",
    "Lawful_DNC_Listing__c",
    "Lawful_Engagement_Event__c",
    "Lawful_Notice__c",
    "Lawful_Suppression__c",
)


class BridgeSettings(BaseModel):
    """`lawful bridge` (CometD -> Kafka) and `lawful backfill`: which Salesforce data to carry."""

    entities: tuple[str, ...] = Field(
        DEFAULT_CDC_ENTITIES, description="CDC entities forwarded (JSON list in the environment)"
    )
    cdc_channel_mode: Literal["all", "per-entity", "custom"] = Field(
        "all",
        description="all: one /data/ChangeEvents subscription; per-entity: one per entity; "
        "custom: the custom channel below, which carries lawful's entities only",
    )
    custom_channel: str = Field(
        "Lawful__chn",
        pattern=r"^[A-Za-z][A-Za-z0-9_]*__chn$",
        description="Custom CDC channel (salesforce/ metadata: PlatformEventChannel + members)",
    )
    platform_events: tuple[str, ...] = Field(
        ("Lawful_Erasure_Request__e", "ConsentEvent"), description="Platform events forwarded"
    )
    max_in_flight: int = Field(
        500, ge=1, description="Events produced but not yet acknowledged by the broker"
    )
    replay_recovery_scan_max: int = Field(
        200_000,
        ge=1000,
        description="Messages per partition read back to find a channel's newest replay id "
        "when Redis has none (workers/bridge/replay_recovery.py)",
    )
    backfill_page_size: int = Field(2000, ge=200, le=2000, description="SOQL batch size")


class WritebackSettings(BaseModel):
    """`lawful writeback`: computed status written to Individual records."""

    flush_interval: float = Field(
        5.0, gt=0, description="Seconds snapshots of one person are coalesced before a write"
    )
    max_batch: int = Field(2000, ge=1, description="Persons written per flush at most")
    calls_per_minute: float = Field(
        60.0, gt=0, description="Salesforce calls the write-back may make per minute"
    )
    group_id: str = Field("lawful-writeback", description="Kafka consumer group")


class PipelineSettings(BaseModel):
    """The Faust worker (`lawful worker`): throughput tuning, retries, scheduler, group identity."""

    instance_id: str | None = Field(
        None, description="Static group membership id; defaults to the POD_NAME env variable"
    )
    fetch_max_wait_ms: int = Field(
        100, ge=1, description="Consumer fetch wait (Faust hard-codes 1500 ms; broker.md 12.2)"
    )
    stream_buffer_maxsize: int = Field(
        32768, ge=1, description="Events buffered per source topic (above one fetch)"
    )
    producer_linger: float = Field(
        0.005, ge=0, description="Seconds the producer waits to batch output and changelog writes"
    )
    producer_max_batch_size: int = Field(
        262144, ge=16384, description="Bytes per produced record batch (a batch's outputs)"
    )
    uvloop: bool = Field(True, description="Run the worker on uvloop")
    delivery_patch: bool = Field(
        True, description="Inline Faust message delivery (workers/pipeline/delivery.py)"
    )
    cython_optimizations: bool = Field(
        True, description="Faust's opt-in repaired Cython fast paths (stream, conductor)"
    )
    log_level: str = Field("info", description="Worker log level (info keeps Faust's spinner off)")
    retry_attempts: int = Field(
        5, ge=1, description="Attempts of a retriable failure before the event goes to the DLQ"
    )
    retry_wait_max: float = Field(5.0, gt=0, description="Longest back-off between retries (s)")
    scheduler_interval: float = Field(
        1.0, gt=0, description="Seconds between scans of the wake-up schedule"
    )
    gc_threshold: tuple[int, int, int] = Field(
        (50_000, 50, 100),
        description="Python gc thresholds of the worker (gen 0, 1, 2); the default 700 makes the "
        "collector walk the tables' many live objects thousands of times per second",
    )
    batch_max: int = Field(
        1000, ge=1, description="Kafka messages per batch, and messages handled per flush, at most"
    )
    batch_within: float = Field(
        0.02, gt=0, description="Seconds a batch waits to fill before it is handled"
    )
    state_cache_bytes: int = Field(
        32 * 1024 * 1024,  # schemas.aggregate.STATE_CACHE_BYTES
        ge=0,
        description="JSON bytes of person states whose decoded form the worker keeps (about "
        "4.6 times as much memory): a person changed again within that is not decoded again",
    )


class ApiSettings(BaseModel):
    """`lawful api`: authentication, projection and the CLI client of the API."""

    api_keys_file: Path | None = Field(
        None, description="Secret file of API keys, one `name role key` per line (small setups)"
    )
    oidc_issuer: str | None = Field(
        None, description="OIDC issuer whose bearer tokens are accepted"
    )
    oidc_audience: str | None = Field(None, description="Audience the tokens must carry")
    oidc_jwks_url: str | None = Field(None, description="JWKS URL of the issuer (RS256 keys)")
    oidc_roles_claim: str = Field("roles", description="Claim listing the caller's roles")
    jwks_cache_seconds: float = Field(300.0, gt=0, description="How long fetched JWKS are reused")
    lookup_key: SecretStr | None = Field(
        None,
        description="Key of the BLAKE2b hashes used by POST /v1/lookup (tombstone key if unset)",
    )
    alerts_kept: int = Field(1000, ge=1, description="Alerts kept for GET /v1/alerts")
    access_log_kept: int = Field(100_000, ge=1, description="Access-log entries kept in Redis")
    search_cache_seconds: int = Field(60, ge=1, description="Lifetime of a search result page set")
    url: str = Field("http://127.0.0.1:6066", description="API URL used by `lawful search/explain`")
    token: SecretStr | None = Field(None, description="API key or bearer token of the CLI client")


class ErasureSettings(BaseModel):
    """The erasure executor and suppression checks (`lawful erase`, issue 6)."""

    policy_file: Path | None = Field(
        None, description="Erasure policy YAML; the packaged default_policy.yaml when unset"
    )
    recipients: tuple[str, ...] = Field(
        (), description="Art. 19 recipients notified of every erasure (JSON list)"
    )
    bulk_threshold: int = Field(
        1000, ge=1, description="Records above which deletes use Bulk API 2.0 hardDelete"
    )
    purge_recycle_bin: bool = Field(
        False, description="Hard-delete soft-deleted copies (Bulk API 2.0; 3 calls per object)"
    )
    identity_required: bool = Field(
        False, description="Wait for ERASURE_IDENTITY_RECEIVED before executing"
    )
    max_attempts: int = Field(5, ge=1, description="Attempts of a retriable failure per step")
    retry_wait_max: float = Field(30.0, gt=0, description="Longest back-off between attempts (s)")
    blocked_retry_after: float = Field(
        900.0,
        gt=0,
        description="Cool-down (s) after which a request blocked for a time-bound reason "
        "(API limit or budget, Salesforce unavailable) is resumed without an operator",
    )
    group_id: str = Field("lawful-erasure", description="Kafka consumer group of the executor")
    suppression_group_id: str = Field(
        "lawful-suppression", description="Kafka consumer group of the suppression check"
    )
    service_identity: str = Field(
        "lawful-erasure", description="Service identity recorded in tombstones"
    )


class Settings(BaseSettings):
    """Everything a lawful process reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="LAWFUL_",
        env_nested_delimiter="__",
        frozen=True,
        extra="ignore",
    )

    salesforce: SalesforceSettings = SalesforceSettings()
    redis: RedisSettings = RedisSettings()
    kafka: KafkaSettings = KafkaSettings()
    web: WebSettings = WebSettings()
    api: ApiSettings = ApiSettings()
    pipeline: PipelineSettings = PipelineSettings()
    bridge: BridgeSettings = BridgeSettings()
    writeback: WritebackSettings = WritebackSettings()
    erasure: ErasureSettings = ErasureSettings()
    data_dir: Path = Field(Path("./lawful-data"), description="Writable state directory")
    tombstone_key: SecretStr | None = Field(
        None, description="Secret key for BLAKE2b keyed hashes of identifiers (tombstones)"
    )
    engine_config_file: Path | None = Field(
        None, description="JSON document overriding the engine configuration defaults"
    )


def load_settings() -> Settings:
    """Settings from the environment; the secrets directory is read only where it exists."""
    secrets = Path("/run/secrets/lawful")
    if secrets.is_dir():
        return Settings(_secrets_dir=secrets)
    return Settings()
