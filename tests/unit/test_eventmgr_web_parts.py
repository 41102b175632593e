"""The Event Manager web UI's parts apart from HTTP: the accounts table (preset admin, no
delete, unique names, forced change until a new password), the rule form (the TOML rules'
validation, errors by field, round trip, never an exception on any input), the event log's
filter and export, and the backend's log lines (an expiry included, never a password)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventmgr import conventions as c
from eventmgr.accounts import AccountError, WebAccounts
from eventmgr.rules import Rule
from eventmgr.storage import EventStore
from eventmgr.web import eventlog
from eventmgr.web import rules as form
from eventmgr.web.backend import EventMgrWebBackend
from sipdect.web import WebEvent, WebEventKind
from sipdect.web.views import tsv, uptime_text


class MemoryStore:
    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}

    def accounts(self) -> list[dict[str, Any]]:
        return list(self.rows.values())

    def put_account(self, account_id: int, record: dict[str, Any]) -> None:
        self.rows[account_id] = record

    def delete_account(self, account_id: int) -> None:
        del self.rows[account_id]


def test_admin_is_made_once_must_change_and_cannot_be_deleted() -> None:
    store = MemoryStore()
    accounts = WebAccounts(store)
    assert accounts.ensure_admin(lambda: "scrypt$default")
    assert not accounts.ensure_admin(lambda: "scrypt$other")
    admin = accounts.by_username("ADMIN")
    assert admin is not None and admin.preset and admin.can_write
    assert admin.must_change_password
    with pytest.raises(AccountError, match="cannot be deleted"):
        accounts.delete(admin.id)
    changed = accounts.set_password_hash(admin.id, "scrypt$new")
    assert not changed.must_change_password
    again = WebAccounts(store).get(admin.id)  # as stored
    assert again == changed


def test_accounts_have_unique_clean_names() -> None:
    accounts = WebAccounts(MemoryStore())
    accounts.ensure_admin(lambda: "h")
    tool = accounts.create("tool-1", "h", can_write=False)
    assert not tool.can_write and not tool.must_change_password
    for bad in ("", "a b", "-x", "x" * 33, "Tool-1", "admin"):
        with pytest.raises(AccountError) as err:
            accounts.create(bad, "h", can_write=False)
        assert err.value.field == "username"
    accounts.delete(tool.id)
    assert [a.username for a in accounts] == [c.ADMIN]


def test_accounts_persist_in_the_event_managers_store(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    assert store.store.version == 2
    WebAccounts(store).ensure_admin(lambda: "scrypt$x")
    store.close()
    store = EventStore(tmp_path)
    assert [a.username for a in WebAccounts(store)] == [c.ADMIN]
    store.close()


def _data(rule: Rule) -> dict[str, Any]:
    values = form.values_of(rule)
    out: dict[str, Any] = {k: v for k, v in values.items() if k not in form.CHECKBOXES}
    out.update({k: "1" for k in form.CHECKBOXES if values[k]})
    return out


def test_a_rule_round_trips_through_its_form() -> None:
    rule = Rule("Room calls", match="2*", priority="[12]", steps=(("201", "202"), ("group:n",)),
                escalate_after=12.5, message_priority="High", melody="MsgMelody3",
                popup=False, confirm=("ReadYes",), accept=("ReadYes",), text="{key}: {text}",
                title="Nurse", trap=True, espa_status=False, status_delivered=True,
                enabled=False)
    parsed = form.parse(_data(rule), groups={"n": ("203",)}, taken=lambda n: False)
    assert parsed.errors == {} and parsed.rule == rule


def test_each_error_stands_at_its_field() -> None:
    data = {**_data(Rule("x", steps=(("201",),))), "name": "", "source": "fax",
            "steps": "group:nobody", "escalate_after": "-1", "message_priority": "Loud",
            "confirm": ["OrderOk", "ReadYes", "ReadNo", "OrderNok"], "accept": ["Yes"]}
    parsed = form.parse(data, groups={}, taken=lambda n: False)
    assert parsed.rule is None
    assert set(parsed.errors) == {"name", "source", "steps", "escalate_after",
                                  "message_priority", "confirm", "accept"}
    assert parsed.errors["source"].startswith("Source = 'fax'")
    assert "group:nobody names no group" in parsed.errors["steps"]
    taken = form.parse({**_data(Rule("x", steps=(("201",),)))}, groups={},
                       taken=lambda n: n == "x")
    assert set(taken.errors) == {"name"}


@settings(deadline=None, max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["name", "source", "match", "priority", "steps",
                                        "escalate_after", "message_priority", "melody",
                                        "text", "title", "popup", "trap", "confirm",
                                        "accept"]),
                       st.one_of(st.text(max_size=30), st.lists(st.text(max_size=12),
                                                                 max_size=4))))
def test_any_form_gives_a_rule_or_errors_never_an_exception(data: dict[str, Any]) -> None:
    parsed = form.parse(data, groups={"night": ("1",)}, taken=lambda n: n == "taken")
    assert (parsed.rule is None) == bool(parsed.errors)


def test_steps_text_and_back() -> None:
    assert form.parse_steps(" 201, 202\n\n group:night 203 ") == (("201", "202"),
                                                                   ("group:night", "203"))
    assert form.steps_text((("201", "202"), ("203",))) == "201, 202\n203"
    steps = (("201", "near:1,2,5", "near:RFP1|RFP2"),)
    assert form.parse_steps(form.steps_text(steps)) == steps  # near:'s commas stay its own
    data = {**_data(Rule("x", steps=(("201",),))), "steps": "near:1,2,-5"}
    parsed = form.parse(data, groups={}, taken=lambda n: False)
    assert set(parsed.errors) == {"steps"} and "radius" in parsed.errors["steps"]


ENTRIES = [{"seq": 1, "time": 0.0, "kind": "input", "subject": "espa 201", "text": "'Room 1'"},
           {"seq": 2, "time": 61.0, "kind": "web", "subject": "admin", "text": "login\tfrom x"},
           {"seq": 3, "time": 3661.0, "kind": "send", "subject": "#1 to 201", "text": "Room 1"}]


def test_the_event_log_filters_newest_first_and_exports_oldest_first() -> None:
    rows = eventlog.select(ENTRIES, eventlog.LogFilter(text="room 1"))
    assert [r["seq"] for r in rows] == [3, 1] and rows[0]["when"] == "1970-01-01 01:01:01"
    assert [r["seq"] for r in eventlog.select(ENTRIES, eventlog.LogFilter(kind="web"))] == [2]
    text = eventlog.export(rows)
    assert text.splitlines() == ["seq\ttime\tkind\tsubject\ttext",
                                 "1\t1970-01-01 00:00:00\tinput\tespa 201\t'Room 1'",
                                 "3\t1970-01-01 01:01:01\tsend\t#1 to 201\tRoom 1"]
    assert eventlog.LogFilter.from_query({"kind": "web", "text": " x "}).query() == {
        "kind": "web", "text": "x"}
    assert "web" in eventlog.kinds([])


def test_kit_views() -> None:
    assert tsv(("a", "b"), [("x\ty", "1\n2")]) == "a\tb\nx y\t1 2\n"
    assert uptime_text(90061) == "1 d 01:01:01" and uptime_text(-5) == "00:00:00"


def test_the_backends_log_lines_say_who_and_never_a_password() -> None:
    lines: list[tuple[str, str, str]] = []
    accounts = WebAccounts(MemoryStore())
    accounts.ensure_admin(lambda: "h")
    backend = EventMgrWebBackend(accounts, "EM", lambda *a: lines.append(a))
    assert backend.banner() is None
    backend.log_event(WebEvent(WebEventKind.EXPIRED, "admin", "10.0.0.9",
                               "10 minutes without a request"))
    backend.log_event(WebEvent(WebEventKind.LOGIN_FAILED, "ghost\x1b[2J", "10.0.0.9"))
    assert lines == [
        ("web", "admin", "session from 10.0.0.9 expired: 10 minutes without a request"),
        ("web", "ghost?[2J", "login failed from 10.0.0.9 (no such account)")]
