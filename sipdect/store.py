"""SQLite persistence shared by the stateful components (ARCHITECTURE.md principle 6).

Hot state lives in Python objects; every change is written through here and
committed before the client is answered. WAL with synchronous=NORMAL keeps a
committed transaction across a killed process (kill -9), which is the promise.
Migrations are versioned with PRAGMA user_version.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class StoreError(RuntimeError):
    """The database cannot be opened or migrated."""


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
                self.db.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self.db.execute("COMMIT")

    def put_json(self, table: str, key: int | str, value: Any) -> None:
        with self.transaction() as db:
            db.execute(f"INSERT OR REPLACE INTO {table} (k, v) VALUES (?, ?)",
                       (key, json.dumps(value, separators=(",", ":"))))

    def delete(self, table: str, key: int | str) -> None:
        with self.transaction() as db:
            db.execute(f"DELETE FROM {table} WHERE k = ?", (key,))

    def clear(self, table: str) -> None:
        with self.transaction() as db:
            db.execute(f"DELETE FROM {table}")

    def load_json(self, table: str) -> list[tuple[Any, Any]]:
        rows = self.db.execute(f"SELECT k, v FROM {table} ORDER BY k").fetchall()
        return [(k, json.loads(v)) for k, v in rows]

    def close(self) -> None:
        self.db.close()
