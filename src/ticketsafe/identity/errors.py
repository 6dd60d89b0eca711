"""Identity's typed errors (codes under the shared tree of `ticketsafe.infra.errors`)."""

from __future__ import annotations

from ticketsafe.infra.errors import Conflict, Forbidden, Gone, NotFound, Unauthenticated


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    title = "Wrong e-mail or password"


class InvalidRefreshToken(Unauthenticated):
    code = "invalid_refresh_token"
    title = "Refresh token invalid, expired or revoked"


class RefreshTokenReused(Unauthenticated):
    code = "refresh_token_reused"
    title = "Refresh token used twice: the session was revoked"


class EmailTaken(Conflict):
    code = "email_taken"
    title = "An account with this e-mail already exists"


class InvalidResetToken(Gone):
    code = "invalid_reset_token"
    title = "Reset link invalid, used or expired"


class OrganizationNotFound(NotFound):
    code = "organization_not_found"
    title = "Organization not found"


class EventNotInOrganization(NotFound):
    code = "event_not_found"
    title = "No such event in this organization"


class UserNotFound(NotFound):
    code = "user_not_found"
    title = "User not found"


class OwnerRequired(Forbidden):
    code = "organization_owner_required"
    title = "Only an owner of the organization may do this"
