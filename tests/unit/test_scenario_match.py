"""Attribute matching of scenario expectations (sipdect.app.scenario.match)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sipdect.app.scenario.match import as_dict, matches, mismatches, value_matches
from sipdect.axi.codec import Message


@pytest.mark.parametrize(("expected", "seen", "ok"), [
    ("connected", "connected", True), ("connected", "idle", False),
    ("1", 1, True), (1, "1", True), (1.5, "1.50", True), (2, "two", False),
    (True, True, True), (True, "1", True), (True, "true", True), (False, "0", True),
    (False, True, False), (True, "yes", True), (1, True, False),
    ("~Call from", "Call from 201 User 201", True), ("~Call from", "Call ended", False),
    ("!idle", "connected", True), ("!idle", "idle", False), ("!idle", None, True),
    ("Call ended", ["Alice", "Call ended"], True),
    (">1800", 3599, True), (">1800", "1800", False), (">=1800", 1800, True),
    ("<10", 9.5, True), ("<=10", "11", False), (">5", None, False), (">5", "many", False),
    ("RFP Office", [None, 2], False),
    ({"num": "201"}, {"num": "201", "uid": "3"}, True), ({"num": "201"}, "201", False),
    ({"num": "201"}, [{"num": "200"}, {"num": "201"}], True),
])
def test_values_compare_as_the_docs_say(expected: Any, seen: Any, ok: bool) -> None:
    assert value_matches(expected, seen) is ok


def test_a_mismatch_names_the_key_what_was_expected_and_what_was_seen() -> None:
    seen = {"call_state": "idle", "display": ["Call ended"]}
    assert mismatches({"call_state": "connected", "tpui": "!x", "rfp": 1}, seen) == [
        "call_state: expected 'connected', seen 'idle'", "rfp: expected 1, absent"]
    assert matches({"display": "Call ended"}, seen)


def test_an_axi_message_matches_by_attributes_and_children() -> None:
    msg = Message("GetPPUserByNumberResp", {"seq": "3"}, [
        Message("user", {"uid": "7", "num": "201"}), Message("pp", {"ppn": "1"}),
        Message("pp", {"ppn": "2"})])
    data = as_dict(msg)
    assert data["user"] == {"uid": "7", "num": "201"} and len(data["pp"]) == 2
    assert matches({"user": {"num": "201"}, "pp": {"ppn": 2}}, data)
    assert not matches({"user": {"num": "202"}}, data)


@given(st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=5))
def test_what_is_seen_always_matches_itself(seen: dict[str, str]) -> None:
    plain = {k: v for k, v in seen.items() if not v.startswith(("~", "!", "<", ">"))}
    assert matches(plain, seen)


@given(st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                              st.text(max_size=5)),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(st.text(max_size=3), inner,
                                                            max_size=3)), max_leaves=10),
       st.one_of(st.booleans(), st.integers(), st.floats(), st.text(max_size=5)))
def test_any_seen_value_compares_without_an_error(seen: Any, expected: Any) -> None:
    assert value_matches(expected, seen) in (True, False)
