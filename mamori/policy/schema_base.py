"""The building blocks every part of the policy schema shares: keys, rules with their article, strictness."""

from pydantic import BaseModel, ConfigDict, Field, model_validator

Key = str  # a lowercase identifier: ``^[a-z][a-z0-9_]*$``

KEY_PATTERN = r"^[a-z][a-z0-9_]*$"


class Rule(BaseModel):
    """Anything that encodes a provision: it must say which article, or say why it has none."""

    model_config = ConfigDict(extra="forbid")

    basis: str | None = Field(description="The article this rule encodes, e.g. 要綱第10条第2項")
    note: str | None = None

    @model_validator(mode="after")
    def _silent_seed_is_explained(self):
        if self.basis is not None and not self.basis.strip():
            raise ValueError("basis_empty")
        if self.basis is None and not (self.note and self.note.strip()):
            raise ValueError("basis_null_without_note")
        return self


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
