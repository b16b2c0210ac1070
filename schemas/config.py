"""Engine configuration: every key of gdpr-rules.md §7.3 with its proposed default.

Every default here needs DPO/counsel sign-off; a facts document or the deployment may override
any key. Keys marked [unconfirmed] in the reference are configuration, never hard-coded.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, Field

from schemas.base import Inbound
from schemas.enums import (
    PHONE_CHANNELS,
    AgeRuleScope,
    AgeUnknownPolicy,
    Channel,
    Engagement,
    Feb29Rule,
    LiveCallRegime,
    RetentionTrigger,
    UnsubscribeScope,
)
from schemas.purpose import RetentionRule

DEFAULT_JURISDICTION = "*"  # key used for "every other jurisdiction"


def _years(n: int, trigger: RetentionTrigger) -> RetentionRule:
    return RetentionRule(months=12 * n, trigger=trigger)


class RulesConfig(Inbound):
    digital_consent_age: dict[str, int] = Field(
        default_factory=lambda: {
            "*": 16,
            "UK": 13,
            "FR": 15,
            "DE": 16,
            "AT": 14,
            "IT": 14,
            "ES": 14,
            "BE": 13,
            "DK": 13,
            "FI": 13,
            "SE": 13,
            "CZ": 15,
            "IE": 16,
            "NL": 16,
            "SK": 16,
            "HU": 16,
        }
    )
    apply_age_rule_to: AgeRuleScope = AgeRuleScope.ALL_CONSENT
    age_unknown_policy: AgeUnknownPolicy = AgeUnknownPolicy.ALLOW_WITH_FLAG
    feb29_birthday_rule: Feb29Rule = Feb29Rule.MARCH_1
    decay_months_marketing: int = Field(24, ge=1)
    decay_months_cookie_like: int = Field(6, ge=1)
    decay_months_other: int | None = None
    alert_lead_days: tuple[int, ...] = Field((30, 7, 1), description="CONSENT_EXPIRING leads")
    qualifying_engagement_events: frozenset[Engagement] = frozenset(
        {
            Engagement.CLICK,
            Engagement.PURCHASE,
            Engagement.QUOTE,
            Engagement.REPLY,
            Engagement.PREFERENCE_UPDATE,
            Engagement.LOGIN,
        }
    )
    require_double_opt_in: dict[str, frozenset[Channel]] = Field(
        default_factory=lambda: {"DE": frozenset({Channel.EMAIL})}
    )
    require_opt_out_at_collection: dict[str, bool] = Field(default_factory=lambda: {"FR": True})
    unsubscribe_scope: UnsubscribeScope = UnsubscribeScope.CHANNEL_ALL_MARKETING
    fresh_consent_lifts_suppression: bool = True
    similar_products: dict[str, frozenset[str]] = Field(
        default_factory=dict, description="Product family → similar families (identity implied)"
    )
    related_products: dict[str, frozenset[str]] = Field(
        default_factory=dict, description="Contract family → related families (identity implied)"
    )
    soft_opt_in_window_months: dict[str, int] = Field(
        default_factory=lambda: {"FR": 36, "UK": 24, "DE": 24, "*": 24}
    )
    soft_opt_in_cross_brand: bool = False
    honour_tps_28_day_grace: bool = False
    fr_phone_optin_date: AwareDatetime = datetime(2026, 8, 11, tzinfo=ZoneInfo("Europe/Paris"))
    live_call_regime: dict[str, LiveCallRegime] = Field(
        default_factory=lambda: {
            "UK": LiveCallRegime.OPT_OUT_REGISTER,
            "FR": LiveCallRegime.OPT_OUT_REGISTER,  # before fr_phone_optin_date
            "DE": LiveCallRegime.OPT_IN,
            "*": LiveCallRegime.OPT_IN,
        }
    )
    fr_call_max_attempts_30_days: int = 4
    fr_call_cooldown_days: int = 60
    contract_grace_days: int = Field(30, ge=0)
    lia_review_months: int | None = None
    objection_pending_blocks: bool = True
    erasure_clock_pause_on_verification: dict[str, bool] = Field(
        default_factory=lambda: {"UK": True, "*": True}
    )
    erasure_alert_days: int = 7
    erasure_extension_months: int = 2
    retention: dict[str, dict[str, RetentionRule]] = Field(
        default_factory=lambda: {
            "FR": {
                "ACCOUNTING_RECORDS": _years(10, RetentionTrigger.END_OF_YEAR_OF_CONTRACT_END),
                "CONTRACT_DATA": _years(5, RetentionTrigger.CONTRACT_END),
            },
            "DE": {
                "ACCOUNTING_RECORDS": _years(8, RetentionTrigger.END_OF_YEAR_OF_CONTRACT_END),
                # UWG §7a: proof of consent to telephone advertising, from its last use
                "PHONE_CONSENT_PROOF": RetentionRule(
                    months=60,
                    trigger=RetentionTrigger.LAST_CONSENT_USE,
                    channels=PHONE_CHANNELS,
                ),
            },
            "UK": {"ACCOUNTING_RECORDS": _years(6, RetentionTrigger.END_OF_YEAR_OF_CONTRACT_END)},
            "*": {"AML_KYC": _years(5, RetentionTrigger.CONTRACT_END)},
        }
    )
    legal_retention_categories: dict[str, str] = Field(
        default_factory=lambda: {
            "ACCOUNTING_RECORDS": "FR Code de commerce L123-22 / DE HGB §257, AO §147 / UK HMRC",
            "CONTRACT_DATA": "Contractual limitation period",
            "PHONE_CONSENT_PROOF": "DE UWG §7a",
            "AML_KYC": "Anti-money-laundering record keeping",
        }
    )
    erase_always_categories: frozenset[str] = frozenset(
        {"MARKETING_CONSENTS", "MARKETING_HISTORY", "ANALYTICS_PROFILE", "PROSPECT_DATA"}
    )
    suppression_retention_months: int | None = None
    b2b_presumed_consent_allowed: bool = False
    public_holidays: dict[str, tuple[date, ...]] = Field(
        default_factory=dict, description="Extra holidays; national calendars are built in"
    )
    timezones: dict[str, str] = Field(
        default_factory=lambda: {
            "UK": "Europe/London",
            "FR": "Europe/Paris",
            "DE": "Europe/Berlin",
            "IE": "Europe/Dublin",
            "*": "Europe/Brussels",
        }
    )
    controller_jurisdiction: str | None = Field(
        None, description="Calendar for legal deadlines; the person's jurisdiction when unset"
    )
    vital_interests_window_hours: int = 72
    optional_alerts: frozenset[str] = Field(
        frozenset(), description="SOFT_OPT_IN_ENDING, LIA_REVIEW_DUE, CONTRACT_ENDING"
    )
    optional_alert_lead_days: int = 30


V = TypeVar("V")


def by_jurisdiction(table: dict[str, V], jurisdiction: str, default: V) -> V:
    """The jurisdiction's entry, else the `*` entry, else `default`."""
    return table.get(jurisdiction, table.get(DEFAULT_JURISDICTION, default))
