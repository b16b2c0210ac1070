"""Model bases: inbound documents ignore unknown fields, outbound ones forbid them."""

from pydantic import BaseModel, ConfigDict


class Inbound(BaseModel):
    """Read from outside (facts documents, Salesforce payloads): forward compatible."""

    model_config = ConfigDict(extra="ignore", frozen=True, use_enum_values=False)


class Outbound(BaseModel):
    """Written for others to consume: the contract is exact."""

    model_config = ConfigDict(extra="forbid", frozen=True)
