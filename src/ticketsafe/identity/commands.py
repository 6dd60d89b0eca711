"""Identity's operator commands (wrapped by `ticketsafe.cli`): they return the lines to
print and raise `CommandFailed` with a message for the operator."""

from __future__ import annotations

from pymongo.errors import PyMongoError

from ticketsafe.identity.errors import UserNotFound
from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.identity.service import grant_admin as grant_admin_role
from ticketsafe.infra.crypto.keyring import add_key_to_file, load_keyring
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.resources import Resources
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.vault import PiiVault


class CommandFailed(Exception):
    pass


async def rotate_keys(settings: Settings, *, new_key: bool) -> list[str]:
    """Re-wrap every data key under the current master key; with `new_key`, first add a
    fresh one to the key file and make it current.

    Nothing is written until MongoDB answered: a command that cannot reach the stores
    (or is not configured) leaves the key file as it was. The new key is then written
    (atomically) *before* any data key is wrapped under it, so that every running API
    (which re-reads the file) can unwrap what this command wraps: a rotation that fails
    half-way keeps the new key, as the data keys already wrapped under it need it, and
    is finished by running `rotate-keys` again."""
    if new_key and settings.pii_keys is not None:
        raise CommandFailed(
            "keys come from TICKETSAFE_PII_KEYS: add the key there, roll out, point "
            "TICKETSAFE_PII_CURRENT_KEY_ID at it, roll out, then run rotate-keys"
        )
    out: list[str] = []
    resources = Resources.open(settings)
    try:
        try:
            await resources.db.command("ping")
        except PyMongoError as exc:
            raise CommandFailed(f"MongoDB did not answer ({exc}); nothing was changed") from None
        if new_key:
            load_keyring(settings)  # creates the file on first use
            path = settings.pii_keyring_file or settings.keys_dir / "pii-keyring.json"
            out.append(f"added master key {add_key_to_file(path)}")
        vault = PiiVault(resources.db, load_keyring(settings))
        moved = await vault.rewrap_all()
        counts = await vault.count_by_master_key()
        out.append(f"re-wrapped {moved} data key(s) to {vault.keyring.current_id}; {counts}")
    finally:
        await resources.close()
    return out


async def grant_admin(db: Database, vault: PiiVault, email: str) -> list[str]:
    """`vault` is the command's process's (`ticketsafe.services`, built by the CLI)."""
    try:
        user_id = await grant_admin_role(IdentityRepository(db), vault, email)
    except UserNotFound:
        raise CommandFailed("no active account with this e-mail") from None
    return [f"{user_id} is now a platform admin"]
