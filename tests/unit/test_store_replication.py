"""The store's replication hooks (sipdect.store): a committed transaction's ops can be
observed, and ops or a snapshot from the standby partner applied all or none."""

from __future__ import annotations

from pathlib import Path

import pytest

from omm.model import MIGRATIONS, REPLICATED_TABLES, OmmModel, OmmSetup
from sipdect.store import Store, StoreError, StoreOp


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "a.sqlite", MIGRATIONS)


def test_observers_hear_the_ops_of_each_committed_transaction_once(store: Store) -> None:
    heard: list[tuple[StoreOp, ...]] = []
    store.observe(heard.append)
    with store.transaction():
        store.put_json("users", 1, {"uid": 1, "name": "Ann"})
        store.delete("devices", 7)
        assert heard == []  # nothing before the outermost COMMIT
    store.clear("sites")
    assert heard == [
        (StoreOp("users", 1, '{"uid":1,"name":"Ann"}'), StoreOp("devices", 7, None)),
        (StoreOp("sites", None, None),),
    ]
    assert heard[1][0].clears


def test_a_rolled_back_transaction_is_not_heard(store: Store) -> None:
    heard: list[tuple[StoreOp, ...]] = []
    store.observe(heard.append)
    with pytest.raises(RuntimeError), store.transaction():
        store.put_json("users", 1, {"uid": 1})
        raise RuntimeError("the model refused it")
    store.put_json("users", 2, {"uid": 2})
    assert heard == [(StoreOp("users", 2, '{"uid":2}'),)]
    store.unobserve(heard.append)
    store.put_json("users", 3, {"uid": 3})
    assert len(heard) == 1


def test_applied_ops_land_unheard_and_reproduce_the_sender(tmp_path: Path, store: Store) -> None:
    other = Store(tmp_path / "b.sqlite", MIGRATIONS)
    sent: list[tuple[StoreOp, ...]] = []
    store.observe(sent.append)
    store.put_json("users", 1, {"uid": 1})
    store.put_json("settings", "PARK", {"park": "31100"})
    with store.transaction():
        store.clear("users")
        store.put_json("users", 2, {"uid": 2})
    store.delete("settings", "PARK")
    echoed: list[tuple[StoreOp, ...]] = []
    other.observe(echoed.append)
    for ops in sent:
        other.apply(ops)
    assert echoed == []
    for table in REPLICATED_TABLES:
        assert other.rows(table) == store.rows(table)
    assert other.rows("users") == [(2, '{"uid":2}')]


def test_apply_is_all_or_none(store: Store) -> None:
    store.put_json("users", 1, {"uid": 1})
    for bad in (StoreOp("nosuch", 1, "{}"), StoreOp("sqlite_master", None, None),
                StoreOp("users", 2, "{not json"), StoreOp("users", "x", "{}")):
        with pytest.raises(StoreError):
            store.apply([StoreOp("users", 1, None), bad])
        assert store.rows("users") == [(1, '{"uid":1}')]


def test_replace_makes_the_tables_hold_exactly_the_snapshot(store: Store) -> None:
    store.put_json("users", 1, {"uid": 1})
    store.put_json("users", 5, {"uid": 5})
    store.put_json("rfps", 1, {"id": 1})
    store.put_json("eventlog", 1, {"id": 1})
    store.replace({"users": [(2, '{"uid":2}')], "rfps": []})
    assert store.rows("users") == [(2, '{"uid":2}')]
    assert store.rows("rfps") == []
    assert store.rows("eventlog") == [(1, '{"id":1}')]  # not named: untouched
    with pytest.raises(StoreError):
        store.replace({"users": [(3, '{"uid":3}'), (3, '{"uid":3}')]})
    assert store.rows("users") == [(2, '{"uid":2}')]


def test_changes_from_elsewhere_cannot_join_a_local_transaction(store: Store) -> None:
    with pytest.raises(StoreError), store.transaction():
        store.apply([StoreOp("users", 1, "{}")])


def test_the_record_tables_are_the_omm_schema(store: Store) -> None:
    assert set(REPLICATED_TABLES) | {"eventlog"} == store.record_tables()


def test_a_reloaded_model_sees_what_its_store_was_given(tmp_path: Path) -> None:
    active = OmmModel(tmp_path / "active", OmmSetup(name="A"))
    standby = OmmModel(tmp_path / "standby", OmmSetup(name="B"))
    user = active.users.create({"num": "100", "name": "Ann"})
    active.settings.update("PARK", {"park": "31100075"})
    started = standby.started
    standby.store.replace({t: active.store.rows(t) for t in REPLICATED_TABLES})
    standby.reload()
    assert standby.users.get(user["uid"])["num"] == "100"
    assert standby.settings.value("PARK", "park") == "31100075"
    assert standby.started == started
