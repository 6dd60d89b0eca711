"""Identity's request and response models."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ticketsafe.identity.cpf import validate_cpf
from ticketsafe.identity.models import MemberRole
from ticketsafe.identity.principal import Role
from ticketsafe.infra import fields

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()-]{8,20}$")
_CPF_SHAPE = r"^[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}$"  # check digits: validate_cpf


def _phone(value: str) -> str:
    value = value.strip()
    if not _PHONE.match(value):
        raise ValueError("not a phone number (digits, optional +, spaces, dashes)")
    return value


def _cpf(value: str) -> str:
    return validate_cpf(value)  # InvalidCpf is a ValueError → 422 with the field


# The rules in the schema as on the server: a client that follows them is not refused
# (a CPF's check digits are the one rule a pattern cannot say).
Email = Annotated[str, Field(max_length=254, pattern=_EMAIL.pattern)]
Phone = Annotated[str, Field(pattern=_PHONE.pattern), AfterValidator(_phone)]
Cpf = Annotated[str, Field(pattern=_CPF_SHAPE), AfterValidator(_cpf)]
Password = Annotated[str, Field(min_length=10, max_length=128)]
Name = Annotated[fields.Name, Field(min_length=1, max_length=200)]
Locale = Literal["pt-BR", "en"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Registration(_In):
    email: Email
    password: Password
    name: Name
    locale: Locale = "pt-BR"
    phone: Phone | None = None
    cpf: Cpf | None = None


class Login(_In):
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=128)]


class RefreshRequest(_In):
    refresh_token: Annotated[str, Field(min_length=10, max_length=200)]


class PasswordChange(_In):
    current_password: Annotated[str, Field(min_length=1, max_length=128)]
    new_password: Password


class PasswordResetRequest(_In):
    email: Email


class PasswordResetConfirm(_In):
    token: Annotated[str, Field(min_length=10, max_length=200)]
    new_password: Password


class ProfileUpdate(_In):
    name: Name | None = None
    phone: Phone | None = None
    cpf: Cpf | None = None
    locale: Locale | None = None


class ErasureRequest(_In):
    password: Annotated[str, Field(min_length=1, max_length=128)]


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int


class AccountCreated(BaseModel):
    """No personal data: mutating answers may be kept (Idempotency-Key) in Redis."""

    id: str
    locale: str


class Profile(BaseModel):
    id: str
    email: str
    name: str
    phone: str | None
    cpf: str | None
    locale: str
    roles: list[Role]
    org_ids: list[str]
    created_at: datetime


class OrganizationCreate(_In):
    name: Annotated[fields.Name, Field(min_length=2, max_length=120)]


class OrganizationOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    my_role: MemberRole


class MemberAdd(_In):
    email: Email
    role: MemberRole = MemberRole.MEMBER


class MemberOut(BaseModel):
    user_id: str
    role: MemberRole
    added_at: datetime


class GateGrantCreate(_In):
    event_id: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
    user_id: Annotated[str, Field(min_length=1, max_length=100)]


class GateGrantOut(BaseModel):
    event_id: str
    user_id: str
    granted_at: datetime


class GateGrantPage(BaseModel):
    items: list[GateGrantOut]
    next_cursor: str | None = Field(
        description="Opaque; pass as `cursor` for the next page (null: this is the last)."
    )
