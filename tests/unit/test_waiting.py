"""sipdect.waiting: the one wait-with-deadline helper of the suite."""

from __future__ import annotations

import asyncio

import pytest

from sipdect import waiting
from sipdect.waiting import WaitTimeout, scaled, until, until_sync


async def test_until_returns_the_first_truthy_value() -> None:
    seen = {"n": 0}

    def third_look() -> int | None:
        seen["n"] += 1
        return seen["n"] if seen["n"] >= 3 else None

    assert await until(third_look, "the third look") == 3


async def test_until_awaits_an_async_condition_and_names_what_it_missed() -> None:
    async def never() -> int:
        return 0

    with pytest.raises(WaitTimeout, match="gave up waiting for nothing .* last seen: 0"):
        await until(never, "nothing", timeout=0.05)


def test_until_sync_without_a_loop() -> None:
    assert until_sync(lambda: "x", "x") == "x"
    with pytest.raises(WaitTimeout, match="last seen: ''"):
        until_sync(lambda: "", "never", timeout=0.03)


@pytest.mark.parametrize(("scale", "seconds"), [("3", 6.0), ("0.5", 2.0), ("slow", 2.0)])
def test_the_wait_scale_only_ever_stretches_deadlines(monkeypatch: pytest.MonkeyPatch,
                                                      scale: str, seconds: float) -> None:
    monkeypatch.setenv("SIPDECT_WAIT_SCALE", scale)
    assert scaled(2.0) == seconds


async def test_a_look_that_never_answers_fails_the_wait_instead_of_hanging_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(waiting, "MIN_LOOK_S", 0.1)
    async def hangs() -> bool:
        await asyncio.Event().wait()
        return True

    with pytest.raises(WaitTimeout, match="the server's answer .* did not answer within"):
        await until(hangs, "the server's answer", timeout=0.2)
