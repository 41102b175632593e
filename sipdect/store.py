"""SQLite persistence shared by the stateful components (ARCHITECTURE.md principle 6).

Hot state lives in Python objects; every change is written through here and
committed before the client is answered. WAL with synchronous=NORMAL keeps a
committed transaction across a killed process (kill -9), which is the promise.
Migrations are versioned with PRAGMA user_version.

Every record table has the layout (k PRIMARY KEY, v TEXT JSON). A committed transaction's
record changes can be observed as StoreOps (the OMM standby link sends them to its partner),
and received ops or a whole snapshot applied atomically (docs/architecture.md "Standby link").
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class StoreError(RuntimeError):
    """The database cannot be opened or migrated."""


@dataclass(frozen=True, slots=True)
class StoreOp:
    """One record change of a committed transaction, as the database holds it."""

    table: str
    key: int | str | None
    """The record's key; None: the whole table was cleared."""
    value: str | None
    """The record as stored (JSON text); None: the record (or table) was deleted."""

    @property
    def clears(self) -> bool:
        return self.key is None


StoreObserver = Callable[[tuple[StoreOp, ...]], None]
"""Called after each outermost COMMIT with the ops of that transaction, in order."""


class Store:
    """One SQLite database with ordered migrations."""

    def __init__(self, path: Path | str, migrations: Sequence[str]) -> None:
        self.path = str(path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate(migrations)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from None
        self._depth = 0
        self._ops: list[StoreOp] = []
        self._observers: list[StoreObserver] = []
        self._record_tables: frozenset[str] | None = None

    def _migrate(self, migrations: Sequence[str]) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(migrations):
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this sipdect "
                f"({len(migrations)}); use a newer sipdect or another --data-dir")
        for number, script in enumerate(migrations[version:], start=version + 1):
            self.db.execute("BEGIN")
            try:
                for statement in script.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={number}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Nested use joins the outer transaction; the outermost commits."""
        if self._depth == 0:
            self.db.execute("BEGIN")
        self._depth += 1
        try:
            yield self.db
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._ops.clear()
                self.db.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self.db.execute("COMMIT")
            if self._ops:
                ops, self._ops = tuple(self._ops), []
                for observer in list(self._observers):
                    observer(ops)

    # -- observing committed changes ---------------------------------------------------------
    def observe(self, observer: StoreObserver) -> None:
        """Hear the ops of every transaction committed from now on (not those applied by
        apply() or replace(): they came from elsewhere)."""
        self._observers.append(observer)

    def unobserve(self, observer: StoreObserver) -> None:
        if observer in self._observers:
            self._observers.remove(observer)

    def _record(self, op: StoreOp) -> None:
        if self._observers:
            self._ops.append(op)

    # -- record changes ------------------------------------------------------------------------
    def put_json(self, table: str, key: int | str, value: Any) -> None:
        text = json.dumps(value, separators=(",", ":"))
        with self.transaction() as db:
            db.execute(f"INSERT OR REPLACE INTO {table} (k, v) VALUES (?, ?)", (key, text))
            self._record(StoreOp(table, key, text))

    def delete(self, table: str, key: int | str) -> None:
        with self.transaction() as db:
            db.execute(f"DELETE FROM {table} WHERE k = ?", (key,))
            self._record(StoreOp(table, key, None))

    def clear(self, table: str) -> None:
        with self.transaction() as db:
            db.execute(f"DELETE FROM {table}")
            self._record(StoreOp(table, None, None))

    # -- changes from elsewhere (the standby partner) ------------------------------------------
    def record_tables(self) -> frozenset[str]:
        """The tables of (k, v) records; apply() and replace() touch no other."""
        if self._record_tables is None:  # the schema is fixed once migrated
            names = [row[0] for row in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            self._record_tables = frozenset(
                name for name in names
                if [row[1] for row in self.db.execute(f'PRAGMA table_info("{name}")')]
                == ["k", "v"])
        return self._record_tables

    def _check_tables(self, tables: Iterable[str]) -> None:
        known = self.record_tables()
        unknown = sorted(set(tables) - known)
        if unknown:
            raise StoreError(f"no record table {', '.join(map(repr, unknown))} in {self.path}")

    def apply(self, ops: Sequence[StoreOp]) -> None:
        """Apply ops received from elsewhere in one transaction, all or none; observers do not
        hear them. StoreError for a table that is not a record table here, or a value that is
        no JSON."""
        self._check_tables([op.table for op in ops])
        with self._unobserved() as db:
            for op in ops:
                if op.key is None:
                    db.execute(f"DELETE FROM {op.table}")
                elif op.value is None:
                    db.execute(f"DELETE FROM {op.table} WHERE k = ?", (op.key,))
                else:
                    _check_json(op.value)
                    db.execute(f"INSERT OR REPLACE INTO {op.table} (k, v) VALUES (?, ?)",
                               (op.key, op.value))

    def replace(self, tables: Mapping[str, Sequence[tuple[int | str, str]]]) -> None:
        """Make each named table hold exactly the given (key, JSON text) rows, in one
        transaction, all or none; observers do not hear it."""
        self._check_tables(list(tables))
        with self._unobserved() as db:
            for table, rows in tables.items():
                db.execute(f"DELETE FROM {table}")
                for key, value in rows:
                    _check_json(value)
                    db.execute(f"INSERT INTO {table} (k, v) VALUES (?, ?)", (key, value))

    def rows(self, table: str) -> list[tuple[int | str, str]]:
        """A table's rows as stored: (key, JSON text), by key."""
        self._check_tables([table])
        return [(k, v) for k, v in self.db.execute(f"SELECT k, v FROM {table} ORDER BY k")]

    @contextmanager
    def _unobserved(self) -> Iterator[sqlite3.Connection]:
        if self._depth:
            raise StoreError("changes from elsewhere are applied in a transaction of their own")
        try:
            with self.transaction() as db:
                yield db
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot apply changes to {self.path}: {exc}") from None

    def load_json(self, table: str) -> list[tuple[Any, Any]]:
        rows = self.db.execute(f"SELECT k, v FROM {table} ORDER BY k").fetchall()
        return [(k, json.loads(v)) for k, v in rows]

    def close(self) -> None:
        self.db.close()


def _check_json(text: str) -> None:
    try:
        json.loads(text)
    except ValueError:
        raise StoreError(f"a record that is no JSON: {text[:40]!r}") from None
