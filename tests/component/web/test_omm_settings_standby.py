"""The standby page of a real pair (issue 14 item 2; standby-eventmgr.md A.5): the active OMM
shows the pair OK; after a takeover the new active OMM shows "No Standby"."""

from __future__ import annotations

from web_fake import client, log_in

from sipdect.waiting import until
from tests.component.test_standby_pair import PASSWORD, PairSetup, _stb, pair  # noqa: F401


async def test_the_standby_page_shows_the_pair_and_no_standby_after_a_takeover(
        pair: PairSetup) -> None:  # noqa: F811
    await until(lambda: pair.a.serving and _stb(pair.a) == "OK" and _stb(pair.b) == "OK",
                "A active, B standby")
    assert pair.a.web is not None
    async with client() as http:
        await log_in(http, pair.a.web.url, "omm", PASSWORD)
        async with http.get(pair.a.web.url + "standby") as r:
            text = await r.text()
        assert 'href="/standby"' in text  # in the navigation: this OMM is one of a pair
        assert 'id="stb-state">OK<' in text and "No Standby" not in text
    await until(lambda: pair.a.pair is not None and pair.a.pair._copy_sent, "the copy sent")
    await pair.a.kill()
    await until(lambda: pair.b.serving and pair.b.web is not None, "B took over")
    assert pair.b.web is not None
    async with client() as http:
        await log_in(http, pair.b.web.url, "omm", PASSWORD)
        async with http.get(pair.b.web.url + "standby") as r:
            text = await r.text()
        assert 'id="no-standby"' in text and "No Standby" in text
        assert 'id="stb-state">NotSynchronized<' in text
