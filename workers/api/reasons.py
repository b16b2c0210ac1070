"""Reason codes in words, for the person page and `lawful explain`."""

from __future__ import annotations

from schemas.codes import Reason

R = Reason
WORDS: dict[Reason, str] = {
    R.ERASED: "The person's data was erased.",
    R.RESTRICTED: "Processing is restricted (Art. 18) while a request is open.",
    R.DM_OBJECTION: "The person objected to direct marketing (Art. 21(2)).",
    R.SUPPRESSED: "The contact is on a suppression list.",
    R.CHANNEL_OPT_OUT: "The person opted out of this channel.",
    R.NO_NOTICE: "No privacy notice was given for this purpose.",
    R.SPECIAL_CATEGORY_EXPLICIT_CONSENT_REQUIRED: "Special-category data needs explicit consent.",
    R.ART9_CONDITION_MISSING: "No Art. 9 condition for special-category data is recorded.",
    R.ART10_AUTHORISATION_MISSING: "No Art. 10 authorisation for criminal-offence data.",
    R.BASIS_NOT_ALLOWED_FOR_MARKETING: "This lawful basis cannot be used for marketing.",
    R.CONSENT_NOT_OPT_IN: "The consent was not an active opt-in.",
    R.CONSENT_WITHDRAWN: "The person withdrew consent.",
    R.CONSENT_UNPROVABLE: "The consent cannot be proven (no evidence recorded).",
    R.CONSENT_INVALID_METHOD: "The consent was captured with a method that is not valid.",
    R.CONSENT_NOT_YET_EFFECTIVE: "The consent is not effective yet.",
    R.CONSENT_EXPIRED: "The consent has expired.",
    R.DOUBLE_OPT_IN_PENDING: "Double opt-in confirmation is still pending.",
    R.MINOR_WITHOUT_PARENTAL_CONSENT: "The person is a minor and parental consent is missing.",
    R.AGE_UNKNOWN: "The person's age is unknown.",
    R.CONSENT_DECAYED: "The consent lapsed after a long period without engagement.",
    R.LIA_MISSING: "No legitimate-interests assessment covers this purpose.",
    R.LIA_REVIEW_OVERDUE: "The legitimate-interests assessment is overdue for review.",
    R.OBJECTION_PENDING: "An objection to this processing is being assessed.",
    R.OBJECTION_UPHELD: "An objection to this processing was upheld.",
    R.NO_CONTRACT: "There is no contract with the person.",
    R.CONTRACT_ENDED: "The contract with the person has ended.",
    R.LEGAL_REF_MISSING: "No legal reference is recorded for the legal obligation.",
    R.RETENTION_ENDED: "The retention period has ended.",
    R.VITAL_INTERESTS_NOT_INVOKED: "Vital interests were not invoked.",
    R.EPRIVACY_CONSENT_REQUIRED: "This channel needs consent under ePrivacy rules.",
    R.B2B_NOT_RELEVANT_TO_ROLE: "The message is not relevant to the person's business role.",
    R.SOFT_OPT_IN_NOT_MET: "The conditions of the soft opt-in are not met.",
    R.FR_PHONE_CONSENT_REQUIRED: "French law requires consent for this phone marketing.",
    R.DNC_REGISTERED: "The number is on a do-not-call register.",
    R.FR_CALL_WINDOW: "Outside the permitted French calling hours.",
    R.FR_CALL_FREQUENCY: "The French call-frequency limit is reached.",
    R.FR_CALL_COOLDOWN: "The French cool-down period after a refusal is running.",
    R.NO_OPT_OUT_AT_COLLECTION: "No opt-out was offered when the contact was collected.",
    R.CONSENT_ACTIVE: "The person gave valid consent.",
    R.B2B_CORPORATE_LI: "Legitimate interests for a corporate business contact.",
    R.B2B_PROFESSIONAL_LI: "Legitimate interests for a professional contact.",
    R.SOFT_OPT_IN: "Soft opt-in: existing customer, similar products, opt-out offered.",
    R.PHONE_LI: "Legitimate interests for live phone calls.",
    R.POSTAL_LI: "Legitimate interests for postal marketing.",
    R.CONTRACT_ACTIVE: "Necessary for an active contract.",
    R.LEGAL_OBLIGATION_ACTIVE: "Required by a legal obligation.",
    R.LEGITIMATE_INTERESTS: "Legitimate interests, balanced by an assessment.",
    R.VITAL_INTERESTS_ACTIVE: "Necessary to protect someone's vital interests.",
    R.PUBLIC_TASK_ACTIVE: "Necessary for a task in the public interest.",
    R.LEGAL_CLAIMS_HOLD: "Kept for legal claims (hold).",
}


def in_words(reason: Reason) -> str:
    return WORDS.get(reason, reason.value.replace("_", " ").capitalize() + ".")
