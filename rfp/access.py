"""Who may log in to an RFP's SSH shells: the factory logins, then what its OMM set.

Seed 000 "Securing Operating System User Interfaces" and features.md §2.3 "Factory state": an
unconfigured RFP has SSH on with the user shell omm/omm and the root shell root/22222; once an
OMM took it over, the OMM's SYS_PASSWD (omm-rfp.md §4.7) decides: remote access on or off, its
full-access account for the user shell, no root login (log in as the user, then `su`). Pure:
the SSH edge (rfp.ssh) asks, VirtualRfp keeps and stores it.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from sipdect.accounts import md5_crypt, verify_md5_crypt
from sipdect.link.system import SysPasswd

FACTORY_USER = "omm"
FACTORY_USER_PASSWORD = "omm"
FACTORY_ROOT = "root"
FACTORY_ROOT_PASSWORD = "22222"
"""The factory logins (seed 000): user shell omm/omm, root shell root/22222."""

KEEPS_OMM_SETTINGS = True
"""An RFP that loses its OMM keeps the SSH settings the OMM last sent (in flash, with its
enrolment key) until a factory reset: the seed says the OMM "overwrites" them, and nothing
public says a lost link brings the factory logins back (which would open root/22222 on
every RFP of a site whose OMM is down). Decided; the one place."""

STATE_FILE_MODE = 0o600
SSH_PORT = 22
SSH_SUBSYSTEM = "SSH"
"""The name the RFP's syslog gives its SSH lines."""


class Verdict(StrEnum):
    """What a login attempt comes to, in the words the RFP's syslog uses."""

    USER = "user"
    """The user shell."""
    ROOT = "root"
    """The root shell (factory state only)."""
    BAD_PASSWORD = "bad password"
    UNKNOWN_USER = "unknown user"
    ROOT_REFUSED = "root login refused"
    """Root tried to log in after an OMM took the RFP over."""
    DISABLED = "remote access disabled"
    """The OMM turned remote access off: nobody logs in."""


@dataclass(frozen=True, slots=True)
class OmmAccess:
    """The SSH settings an OMM sent (SYS_PASSWD), as the RFP keeps them."""

    remote_access: bool
    root_user: str
    root_hash: str
    """md5-crypt string, `$1$$...`."""
    admin_user: str
    admin_hash: str

    @classmethod
    def from_message(cls, message: SysPasswd) -> OmmAccess:
        return cls(message.remote_access, message.root_user, message.root_crypt_hash,
                   message.admin_user, message.admin_crypt_hash)


class RemoteAccess:
    """The RFP's SSH logins: factory ones until an OMM sent its own."""

    def __init__(self, omm: OmmAccess | None = None) -> None:
        self.omm = omm
        """What the OMM last sent; None: factory state."""
        self._factory_root, self._factory_user = _factory_hashes()

    @property
    def factory(self) -> bool:
        return self.omm is None

    @property
    def enabled(self) -> bool:
        """SSH accepts logins at all."""
        return self.omm is None or self.omm.remote_access

    @property
    def user_name(self) -> str:
        """The user shell's login name."""
        return FACTORY_USER if self.omm is None else self.omm.admin_user

    @property
    def mode(self) -> str:
        """For status lines: factory, omm, or off."""
        return "factory" if self.omm is None else ("omm" if self.omm.remote_access else "off")

    def check_login(self, username: str, password: str) -> Verdict:
        """Decide one password login (every verdict is logged by the caller)."""
        if not self.enabled:
            return Verdict.DISABLED
        if self.omm is None:
            if username == FACTORY_ROOT:
                return (Verdict.ROOT if verify_md5_crypt(password, self._factory_root)
                        else Verdict.BAD_PASSWORD)
            if username == FACTORY_USER:
                return (Verdict.USER if verify_md5_crypt(password, self._factory_user)
                        else Verdict.BAD_PASSWORD)
            return Verdict.UNKNOWN_USER
        if username == self.omm.root_user:
            return Verdict.ROOT_REFUSED
        if username == self.omm.admin_user:
            return (Verdict.USER if verify_md5_crypt(password, self.omm.admin_hash)
                    else Verdict.BAD_PASSWORD)
        return Verdict.UNKNOWN_USER

    def check_root_password(self, password: str) -> bool:
        """`su` from the user shell: the root password (factory or the OMM's)."""
        stored = self._factory_root if self.omm is None else self.omm.root_hash
        return verify_md5_crypt(password, stored)

    @property
    def root_user(self) -> str:
        return FACTORY_ROOT if self.omm is None else self.omm.root_user


@functools.cache
def _factory_hashes() -> tuple[str, str]:
    """The factory passwords' md5-crypt strings, made once per process (not once per RFP)."""
    return md5_crypt(FACTORY_ROOT_PASSWORD), md5_crypt(FACTORY_USER_PASSWORD)


class AccessStore:
    """The OMM's SSH settings in a file of their own (mode 0600, JSON), beside the RFP key:
    what a real RFP keeps in flash."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> OmmAccess | None:
        try:
            raw = json.loads(self.path.read_text("utf-8"))
            return OmmAccess(bool(raw["remote_access"]), str(raw["root_user"]),
                             str(raw["root_hash"]), str(raw["admin_user"]),
                             str(raw["admin_hash"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{self.path} does not hold SSH settings ({exc}); delete it to "
                             "go back to the factory logins") from None

    def store(self, access: OmmAccess | None) -> None:
        if access is None:
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, STATE_FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(asdict(access), f)
        os.replace(tmp, self.path)
