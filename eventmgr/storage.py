"""The Event Manager's persistent state (SQLite via sipdect.store, WAL): its rules, the
incidents being handled, the outbox of messages not yet taken by the OMM, the ESPA statuses
waiting for a poll, and the event log. Everything is committed before the input that caused
it is acknowledged, so a kill -9 loses nothing acknowledged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eventmgr import conventions as c
from eventmgr.rules import Incident, Rule
from sipdect.store import Store

MIGRATIONS = ["""
    CREATE TABLE rules (k TEXT PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE incidents (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE outbox (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE statuses (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE log (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
""", """
    CREATE TABLE accounts (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
"""]
"""1: rules, incidents, outbox, statuses, log, meta; 2: the web UI's accounts (salted hashes,
eventmgr.accounts)."""


class EventStore:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(data_dir / "eventmgr.db", MIGRATIONS)
        rows = self.store.db.execute("SELECT MAX(k) FROM log").fetchone()
        self._log_seq = int(rows[0] or 0)
        rows = self.store.db.execute("SELECT MAX(k) FROM statuses").fetchone()
        self._status_seq = int(rows[0] or 0)

    def close(self) -> None:
        self.store.close()

    def transaction(self) -> Any:
        return self.store.transaction()

    # -- rules -------------------------------------------------------------------------------
    def rules(self) -> list[Rule]:
        return [Rule.from_json(v) for _, v in self.store.load_json("rules")]

    def put_rule(self, rule: Rule) -> None:
        self.store.put_json("rules", rule.name, rule.to_json())

    def delete_rule(self, name: str) -> None:
        self.store.delete("rules", name)

    # -- incidents and counters -----------------------------------------------------------------
    def incidents(self) -> list[Incident]:
        return [Incident.from_json(v) for _, v in self.store.load_json("incidents")]

    def put_incident(self, incident: Incident) -> None:
        self.store.put_json("incidents", incident.id, incident.to_json())

    def meta(self, key: str, default: int) -> int:
        row = self.store.db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
        return int(row[0]) if row else default

    def set_meta(self, key: str, value: int) -> None:
        self.store.put_json("meta", key, value)

    # -- the outbox: messages the OMM has not taken yet ------------------------------------------
    def outbox(self) -> list[tuple[int, dict[str, Any]]]:
        return [(int(k), v) for k, v in self.store.load_json("outbox")]

    def put_outbox(self, msg_id: int, attrs: dict[str, Any]) -> None:
        self.store.put_json("outbox", msg_id, attrs)

    def sent(self, msg_id: int) -> None:
        self.store.delete("outbox", msg_id)

    # -- ESPA statuses waiting for a poll ----------------------------------------------------------
    def statuses(self) -> list[tuple[int, dict[str, str]]]:
        return [(int(k), v) for k, v in self.store.load_json("statuses")]

    def put_status(self, status: dict[str, str]) -> int:
        self._status_seq += 1
        self.store.put_json("statuses", self._status_seq, status)
        return self._status_seq

    def status_taken(self, seq: int) -> None:
        self.store.delete("statuses", seq)

    # -- the web UI's accounts (eventmgr.accounts) ------------------------------------------------
    def accounts(self) -> list[dict[str, Any]]:
        return [v for _, v in self.store.load_json("accounts")]

    def put_account(self, account_id: int, record: dict[str, Any]) -> None:
        self.store.put_json("accounts", account_id, record)

    def delete_account(self, account_id: int) -> None:
        self.store.delete("accounts", account_id)

    # -- the event log ---------------------------------------------------------------------------
    def log(self, kind: str, subject: str, text: str, at: float) -> int:
        self._log_seq += 1
        seq = self._log_seq
        with self.store.transaction() as db:
            self.store.put_json("log", seq, {"time": at,
                                             "kind": kind, "subject": subject, "text": text})
            if seq > c.LOG_KEEP:
                db.execute("DELETE FROM log WHERE k <= ?", (seq - c.LOG_KEEP,))
        return seq

    def entries(self, *, kind: str | None = None, after: int = 0,
                limit: int = 100) -> list[dict[str, Any]]:
        """The newest `limit` entries after seq `after` (of that kind), oldest first."""
        sql, args = "SELECT k, v FROM log WHERE k > ?", [after]
        rows = self.store.db.execute(sql + " ORDER BY k DESC", args).fetchall()
        out: list[dict[str, Any]] = []
        for k, v in rows:
            entry = json.loads(v)
            if kind is None or entry["kind"] == kind:
                out.append({"seq": k, **entry})
                if len(out) >= limit:
                    break
        return out[::-1]
