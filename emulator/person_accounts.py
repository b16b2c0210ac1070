"""Person accounts: every person Account has a PersonContact kept in step with it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.schema.model import ADDRESS_COMPONENTS
from emulator.store import Record

if TYPE_CHECKING:
    from emulator.transaction import UnitOfWork

ACCOUNT_TO_CONTACT = {
    "FirstName": "FirstName",
    "LastName": "LastName",
    "Salutation": "Salutation",
    "PersonEmail": "Email",
    "PersonMobilePhone": "MobilePhone",
    "Phone": "Phone",
    "PersonHasOptedOutOfEmail": "HasOptedOutOfEmail",
    "PersonHasOptedOutOfFax": "HasOptedOutOfFax",
    "PersonDoNotCall": "DoNotCall",
    "PersonBirthdate": "Birthdate",
    "PersonIndividualId": "IndividualId",
    **{f"PersonMailing{part}": f"Mailing{part}" for part in ADDRESS_COMPONENTS},
}


def contact_values(account: Record, names: list[str] | None = None) -> dict[str, Any]:
    """The PersonContact fields mirrored from `account` (all, or only `names`)."""
    chosen = (
        ACCOUNT_TO_CONTACT
        if names is None
        else {n: ACCOUNT_TO_CONTACT[n] for n in names if n in ACCOUNT_TO_CONTACT}
    )
    return {contact: account.get(field) for field, contact in chosen.items()}


def created(work: UnitOfWork, account: Record) -> None:
    """Create the PersonContact of a new person account (same transaction)."""
    if not account.get("IsPersonAccount"):
        return
    contact_obj = work.store.schema.objects["Contact"]
    values = {k: v for k, v in contact_values(account).items() if v is not None}
    values.update(AccountId=account["Id"], IsPersonAccount=True)
    contact_id = work.create(contact_obj, values)
    account["PersonContactId"] = contact_id  # still staged: safe to complete in place
    work.staged_body(account["Id"])["PersonContactId"] = contact_id


def updated(work: UnitOfWork, account: Record, changed: list[str]) -> None:
    contact_id = account.get("PersonContactId")
    mirrored = contact_values(account, changed)
    if contact_id and mirrored:
        work.update(work.store.schema.objects["Contact"], contact_id, mirrored)


def deleted(work: UnitOfWork, account: Record, *, hard: bool, restore: bool = False) -> None:
    contact_id = account.get("PersonContactId")
    if not contact_id:
        return
    contact_obj = work.store.schema.objects["Contact"]
    if restore:
        work.undelete(contact_obj, contact_id)
    elif (contact := work.get("Contact", contact_id)) is not None and (
        hard or not contact.get("IsDeleted")
    ):
        work.delete(contact_obj, contact_id, hard=hard)
