"""Identity's HTTP API: /auth (sessions, passwords), /me (own profile, erasure) and
/organizations (tenants, members, gate staff). Thin: schema, auth, one service call."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from ticketsafe.identity.deps import (
    AccountServiceDep,
    ClientIpDep,
    CurrentUser,
    OrganizationServiceDep,
    SessionServiceDep,
)
from ticketsafe.identity.models import GateGrant, Membership, Organization
from ticketsafe.identity.schemas import (
    AccountCreated,
    ErasureRequest,
    GateGrantCreate,
    GateGrantOut,
    GateGrantPage,
    Login,
    MemberAdd,
    MemberOut,
    OrganizationCreate,
    OrganizationOut,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    Profile,
    ProfileUpdate,
    RefreshRequest,
    Registration,
    TokenResponse,
)
from ticketsafe.identity.sessions import TokenPair
from ticketsafe.infra.deps import JobsDep
from ticketsafe.infra.openapi import problems
from ticketsafe.infra.pagination import CursorParam, PageLimit

router = APIRouter(tags=["identity"])
_NO_CONTENT = Response(status_code=status.HTTP_204_NO_CONTENT)


def _tokens(pair: TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


def _org(org: Organization, membership: Membership) -> OrganizationOut:
    return OrganizationOut(
        id=org.id, name=org.name, created_at=org.created_at, my_role=membership.role
    )


def _member(m: Membership) -> MemberOut:
    return MemberOut(user_id=m.user_id, role=m.role, added_at=m.added_at)


def _grant(g: GateGrant) -> GateGrantOut:
    return GateGrantOut(event_id=g.event_id, user_id=g.user_id, granted_at=g.granted_at)


# --- /auth ------------------------------------------------------------------------------------
# Answers to POST/PATCH carry no personal data: with an Idempotency-Key they are kept in
# Redis for replay. Read the profile with GET /me.
@router.post("/auth/register", status_code=201, operation_id="register", responses=problems(429))
async def register(
    body: Registration, accounts: AccountServiceDep, ip: ClientIpDep
) -> AccountCreated:
    return await accounts.register(body, ip)


@router.post("/auth/login", operation_id="login", responses=problems(401, 429))
async def login(body: Login, accounts: AccountServiceDep, ip: ClientIpDep) -> TokenResponse:
    return _tokens(await accounts.login(body.email, body.password, ip))


@router.post("/auth/refresh", operation_id="refresh", responses=problems(401))
async def refresh(body: RefreshRequest, sessions: SessionServiceDep) -> TokenResponse:
    return _tokens(await sessions.refresh(body.refresh_token))


@router.post("/auth/logout", status_code=204, operation_id="logout")
async def logout(user: CurrentUser, sessions: SessionServiceDep) -> Response:
    if user.session_id is not None:
        await sessions.revoke(user.session_id)
    return _NO_CONTENT


@router.post(
    "/auth/password", status_code=204, operation_id="changePassword", responses=problems(404, 410)
)
async def change_password(
    body: PasswordChange, user: CurrentUser, accounts: AccountServiceDep, jobs: JobsDep
) -> Response:
    await accounts.change_password(user, body.current_password, body.new_password, jobs)
    return _NO_CONTENT


@router.post(
    "/auth/password-reset", status_code=202, operation_id="requestPasswordReset",
    responses=problems(429),
)  # fmt: skip
async def request_password_reset(
    body: PasswordResetRequest, accounts: AccountServiceDep, ip: ClientIpDep, jobs: JobsDep
) -> dict[str, str]:
    await accounts.request_password_reset(body.email, ip, jobs)
    return {"status": "if the account exists, a reset link is on its way"}


@router.post(
    "/auth/password-reset/confirm", status_code=204, operation_id="confirmPasswordReset",
    responses=problems(410),
)  # fmt: skip
async def confirm_password_reset(
    body: PasswordResetConfirm, accounts: AccountServiceDep
) -> Response:
    await accounts.confirm_password_reset(body.token, body.new_password)
    return _NO_CONTENT


# --- /me --------------------------------------------------------------------------------------
@router.get("/me", operation_id="getMe", responses=problems(404, 410))
async def get_me(user: CurrentUser, accounts: AccountServiceDep) -> Profile:
    return await accounts.profile(user.user_id)


@router.patch("/me", status_code=204, operation_id="updateMe", responses=problems(404, 410))
async def update_me(
    body: ProfileUpdate, user: CurrentUser, accounts: AccountServiceDep
) -> Response:
    await accounts.update_profile(user.user_id, body)
    return _NO_CONTENT


@router.post("/me/erase", status_code=204, operation_id="eraseMe", responses=problems(404, 410))
async def erase_me(
    body: ErasureRequest, user: CurrentUser, accounts: AccountServiceDep, jobs: JobsDep
) -> Response:
    await accounts.erase(user, body.password, jobs)
    return _NO_CONTENT


# --- /organizations ---------------------------------------------------------------------------
@router.post("/organizations", status_code=201, operation_id="createOrganization")
async def create_organization(
    body: OrganizationCreate, user: CurrentUser, orgs: OrganizationServiceDep
) -> OrganizationOut:
    return _org(*await orgs.create(user, body.name))


@router.get("/organizations", operation_id="listMyOrganizations")
async def list_my_organizations(
    user: CurrentUser, orgs: OrganizationServiceDep
) -> list[OrganizationOut]:
    return [_org(o, m) for o, m in await orgs.mine(user)]


@router.get("/organizations/{org_id}", operation_id="getOrganization")
async def get_organization(
    org_id: str, user: CurrentUser, orgs: OrganizationServiceDep
) -> OrganizationOut:
    return _org(*await orgs.get(user, org_id))


@router.get("/organizations/{org_id}/members", operation_id="listMembers")
async def list_members(
    org_id: str, user: CurrentUser, orgs: OrganizationServiceDep
) -> list[MemberOut]:
    return [_member(m) for m in await orgs.members(user, org_id)]


@router.post("/organizations/{org_id}/members", status_code=201, operation_id="addMember")
async def add_member(
    org_id: str, body: MemberAdd, user: CurrentUser, orgs: OrganizationServiceDep
) -> MemberOut:
    return _member(await orgs.add_member(user, org_id, body.email, body.role))


@router.delete(
    "/organizations/{org_id}/members/{user_id}", status_code=204, operation_id="removeMember"
)
async def remove_member(
    org_id: str, user_id: str, user: CurrentUser, orgs: OrganizationServiceDep
) -> Response:
    await orgs.remove_member(user, org_id, user_id)
    return _NO_CONTENT


@router.get("/organizations/{org_id}/gate-staff", operation_id="listGateStaff")
async def list_gate_staff(
    org_id: str,
    user: CurrentUser,
    orgs: OrganizationServiceDep,
    cursor: CursorParam = None,
    limit: PageLimit = 50,
) -> GateGrantPage:
    """The organization's gate staff grants, newest first; pass `next_cursor` back as
    `cursor` for the next page."""
    page = await orgs.gate_staff(user, org_id, cursor=cursor, limit=limit)
    return GateGrantPage(items=[_grant(g) for g in page.items], next_cursor=page.next_cursor)


@router.post("/organizations/{org_id}/gate-staff", status_code=201, operation_id="grantGateStaff")
async def grant_gate_staff(
    org_id: str, body: GateGrantCreate, user: CurrentUser, orgs: OrganizationServiceDep
) -> GateGrantOut:
    return _grant(await orgs.grant_gate_staff(user, org_id, body.event_id, body.user_id))


@router.delete(
    "/organizations/{org_id}/gate-staff/{event_id}/{user_id}",
    status_code=204,
    operation_id="revokeGateStaff",
)
async def revoke_gate_staff(
    org_id: str, event_id: str, user_id: str, user: CurrentUser, orgs: OrganizationServiceDep
) -> Response:
    await orgs.revoke_gate_staff(user, org_id, event_id, user_id)
    return _NO_CONTENT
