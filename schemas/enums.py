"""Vocabulary of the engine (gdpr-rules.md §7.0)."""

from enum import StrEnum


class Basis(StrEnum):
    CONSENT = "CONSENT"
    CONTRACT = "CONTRACT"
    LEGAL_OBLIGATION = "LEGAL_OBLIGATION"
    VITAL_INTERESTS = "VITAL_INTERESTS"
    PUBLIC_TASK = "PUBLIC_TASK"
    LEGITIMATE_INTERESTS = "LEGITIMATE_INTERESTS"


class Category(StrEnum):
    MARKETING = "MARKETING"
    NON_MARKETING = "NON_MARKETING"


class Channel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    PHONE_LIVE = "PHONE_LIVE"
    PHONE_AUTOMATED = "PHONE_AUTOMATED"
    POST = "POST"
    SOCIAL_DM = "SOCIAL_DM"


ELECTRONIC_MAIL = frozenset({Channel.EMAIL, Channel.SMS, Channel.SOCIAL_DM})
PHONE_CHANNELS = frozenset({Channel.PHONE_LIVE, Channel.PHONE_AUTOMATED})


class ConsentStatus(StrEnum):
    OPT_IN = "OPT_IN"
    OPT_OUT = "OPT_OUT"
    SEEN = "SEEN"
    NOT_SEEN = "NOT_SEEN"


class SubscriberType(StrEnum):
    INDIVIDUAL = "INDIVIDUAL"
    CORPORATE = "CORPORATE"


class Actor(StrEnum):
    SELF = "SELF"
    PARENT = "PARENT"
    AGENT = "AGENT"
    IMPORT = "IMPORT"


class CaptureMethod(StrEnum):
    CHECKBOX_UNTICKED = "CHECKBOX_UNTICKED"
    EXPRESS_STATEMENT = "EXPRESS_STATEMENT"
    VERBAL_RECORDED = "VERBAL_RECORDED"
    SIGNED_FORM = "SIGNED_FORM"
    THIRD_PARTY_NAMED = "THIRD_PARTY_NAMED"
    EMAIL_REPLY = "EMAIL_REPLY"
    TWO_STAGE_CONFIRMATION = "TWO_STAGE_CONFIRMATION"
    PRE_TICKED = "PRE_TICKED"
    TERMS_ACCEPTANCE = "TERMS_ACCEPTANCE"
    INFERRED = "INFERRED"
    THIRD_PARTY_UNNAMED = "THIRD_PARTY_UNNAMED"


INVALID_METHODS = frozenset(
    {
        CaptureMethod.PRE_TICKED,
        CaptureMethod.TERMS_ACCEPTANCE,
        CaptureMethod.INFERRED,
        CaptureMethod.THIRD_PARTY_UNNAMED,
    }
)


class Engagement(StrEnum):
    CLICK = "CLICK"
    OPEN = "OPEN"
    DELIVERED = "DELIVERED"
    PURCHASE = "PURCHASE"
    QUOTE = "QUOTE"
    REPLY = "REPLY"
    PREFERENCE_UPDATE = "PREFERENCE_UPDATE"
    LOGIN = "LOGIN"


class OptOutMethod(StrEnum):
    UNSUBSCRIBE = "UNSUBSCRIBE"
    STOP_REPLY = "STOP_REPLY"
    DO_NOT_CALL_REQUEST = "DO_NOT_CALL_REQUEST"
    RETURN_TO_SENDER = "RETURN_TO_SENDER"


class ObjectionStatus(StrEnum):
    PENDING = "PENDING"
    UPHELD = "UPHELD"
    REJECTED_COMPELLING_GROUNDS = "REJECTED_COMPELLING_GROUNDS"


class DncRegister(StrEnum):
    TPS = "TPS"
    CTPS = "CTPS"
    BLOCTEL = "BLOCTEL"


class ObtainedVia(StrEnum):
    """How this controller obtained a contact point (soft opt-in, R12)."""

    SALE = "SALE"
    NEGOTIATION = "NEGOTIATION"
    ACCOUNT_SIGNUP = "ACCOUNT_SIGNUP"
    THIRD_PARTY = "THIRD_PARTY"
    OTHER = "OTHER"


class ContactPointKind(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    ADDRESS = "ADDRESS"
    SOCIAL = "SOCIAL"


class LiaOutcome(StrEnum):
    PASS = "PASS"  # noqa: S105 - an assessment outcome, not a password
    FAIL = "FAIL"


class RetentionTrigger(StrEnum):
    CONTRACT_END = "CONTRACT_END"
    END_OF_YEAR_OF_CONTRACT_END = "END_OF_YEAR_OF_CONTRACT_END"
    LAST_PURCHASE = "LAST_PURCHASE"
    LAST_CONSENT_USE = "LAST_CONSENT_USE"


class LiveCallRegime(StrEnum):
    OPT_OUT_REGISTER = "OPT_OUT_REGISTER"
    OPT_IN_WITH_CONTRACT_EXCEPTION = "OPT_IN_WITH_CONTRACT_EXCEPTION"
    OPT_IN = "OPT_IN"
    OPT_OUT = "OPT_OUT"


class SuppressionScope(StrEnum):
    DM_ALL = "DM_ALL"
    EMAIL = "EMAIL"
    SMS = "SMS"
    PHONE_LIVE = "PHONE_LIVE"
    PHONE_AUTOMATED = "PHONE_AUTOMATED"
    POST = "POST"
    SOCIAL_DM = "SOCIAL_DM"


class UnsubscribeScope(StrEnum):
    CHANNEL_ALL_MARKETING = "CHANNEL_ALL_MARKETING"
    PURPOSE_CHANNEL = "PURPOSE_CHANNEL"


class AgeUnknownPolicy(StrEnum):
    ALLOW_WITH_FLAG = "ALLOW_WITH_FLAG"
    BLOCK = "BLOCK"


class AgeRuleScope(StrEnum):
    ALL_CONSENT = "ALL_CONSENT"
    ISS_ONLY = "ISS_ONLY"


class Feb29Rule(StrEnum):
    MARCH_1 = "MARCH_1"
    FEB_28 = "FEB_28"
