"""What a MOM sync session handles of a burst of queued items (mom.sync._latest_only): of
several EventPPCnf of one record only the latest, never across its deletion, everything else
in order."""

from __future__ import annotations

from typing import Any

from mom.sync import _latest_only
from sipdect.axi.codec import Message


def _user(uid: str, name: str = "", deleted: bool = False) -> Message:
    attrs = {"deletedUser": "1"} if deleted else {}
    return Message("EventPPCnf", attrs, [Message("user", {"uid": uid, "name": name})])


def _pp(ppn: str, uid: str = "0") -> Message:
    return Message("EventPPCnf", {}, [Message("pp", {"ppn": ppn, "uid": uid})])


def _names(items: list[Any]) -> list[str]:
    out = []
    for item in items:
        if isinstance(item, Message):
            child = item.children[0] if item.children else item
            out.append(f"{item.name}:{child.name}:{child.attrs.get('uid') or ''}"
                       f"{child.attrs.get('ppn', '')}:{child.attrs.get('name', '')}"
                       f"{'-' if item.attrs.get('deletedUser') else ''}")
        else:
            out.append(repr(item))
    return out


def test_a_later_event_of_the_same_record_supersedes_an_earlier_one() -> None:
    batch = [_user("1", "a"), _pp("1"), ("user", 7, None), _user("1", "b"), _pp("1", "1"),
             _user("2", "c")]
    assert _names(_latest_only(batch)) == _names(
        [("user", 7, None), _user("1", "b"), _pp("1", "1"), _user("2", "c")])


def test_nothing_is_dropped_across_a_deletion_and_other_events_stay() -> None:
    locate = Message("EventDECTLocate", {"ipei": "x"})
    batch = [_user("1", "a"), _user("1", deleted=True), _user("1", "new"), locate, locate]
    assert _latest_only(batch) == batch


def test_an_event_of_two_records_is_never_dropped() -> None:
    both = Message("EventPPCnf", {}, [Message("user", {"uid": "1"}),
                                      Message("pp", {"ppn": "1"})])
    batch = [both, _user("1", "b"), _pp("1")]
    assert _latest_only(batch) == batch
