"""A standby OMM serves no web UI, as on the product: only the active OMM of a pair listens;
the standby starts its web service when it takes over."""

from __future__ import annotations

from web_fake import client, log_in

from omm.service import OmmService
from sipdect.waiting import until
from tests.component.test_standby_pair import PASSWORD, PairSetup, _stb, pair  # noqa: F401

WEB = ("web", "web-https")


def _web_endpoints(service: OmmService) -> list[str]:
    return [e.protocol for e in service.endpoints if e.protocol in WEB]


async def test_only_the_active_omm_of_a_pair_serves_the_web_ui(pair: PairSetup) -> None:  # noqa: F811
    await until(lambda: pair.a.serving and _stb(pair.a) == "OK" and _stb(pair.b) == "OK",
                "A active, B standby")
    assert pair.b.web is None and _web_endpoints(pair.b) == []
    assert pair.a.web is not None and sorted(_web_endpoints(pair.a)) == sorted(WEB)
    async with client() as http:
        async with await log_in(http, pair.a.web.url, "omm", PASSWORD) as r:
            text = await r.text()
            assert 'id="standby-state">OK<' in text
    await until(lambda: pair.a.pair is not None and pair.a.pair._copy_sent, "the copy sent")
    await pair.a.kill()
    await until(lambda: pair.b.serving, "B took over")
    assert pair.b.web is not None
    async with client() as http:
        async with await log_in(http, pair.b.web.url, "omm", PASSWORD) as r:
            assert r.status == 200 and 'id="health"' in await r.text()
