"""The MOM's state and behaviour, apart from any wire (ARCHITECTURE.md principle 2): its central
directory of users and devices, its accounts and the OMM connections it manages, persistent in
one SQLite database (kit sipdect.store: committed per change, kill -9 safe), hot in memory.

MAXI, the web UI and the sync engine call the same methods (documented in mom.directory,
mom.accounts and mom.omms, whose names stay stable); every change is announced once, as a
mom.directory.Change, to the listeners of `MomModel.add_listener`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mom import directory
from mom.accounts import MomAccounts
from mom.conventions import MAX_DEVICES, MAX_USERS
from mom.directory import Change, Directory
from mom.omms import OmmConnections
from sipdect import clock
from sipdect.accounts import InitialAccount
from sipdect.store import Store
from sipdect.vault import AxiKeyPair, Vault

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema: one JSON row per record.
    directory.MIGRATION + """;
    CREATE TABLE accounts (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE omms (k TEXT PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE settings (k TEXT PRIMARY KEY, v TEXT NOT NULL)
    """,
)


@dataclass
class MomSetup:
    """What a config says about a MOM's initial state."""

    name: str = "MOM"
    accounts: list[InitialAccount] = field(default_factory=list)
    max_users: int = MAX_USERS
    max_devices: int = MAX_DEVICES


class MomModel:
    """Everything one MOM knows, in memory, written through to its data directory."""

    def __init__(self, data_dir: Path, setup: MomSetup,
                 clock: Callable[[], float] = clock.wall) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.setup = setup
        self.clock = clock
        self.store = Store(data_dir / "mom.sqlite", MIGRATIONS)
        self.vault = Vault.open(data_dir)
        self.keys = AxiKeyPair.load_or_create(data_dir, self.vault)
        """The MOM's RSA key for encrypted MAXI attributes (OpenResp publicKey)."""
        self._listeners: list[Callable[[Change], None]] = []
        self.directory = Directory(self.store, self.vault, clock, max_users=setup.max_users,
                                   max_devices=setup.max_devices)
        self.directory.add_listener(self._announce)
        self.accounts = MomAccounts(self.store, self._announce, setup.name, setup.accounts)
        self.omms = OmmConnections(self.store, self.vault, self._announce, clock)
        self.started = clock()

    @property
    def name(self) -> str:
        return self.setup.name

    def add_listener(self, listener: Callable[[Change], None]) -> None:
        """Hear every change (users, devices, accounts, OMM connections and their state)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Change], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _announce(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    def close(self) -> None:
        self.directory.flush()
        self.store.close()
