"""The OMM's web UI over HTTP(S) with aiohttp's client, against the emulated OMM of the `omm`
fixture (accounts `omm` full access and `monitor` read-only, as configured)."""

from __future__ import annotations

import re

from web_fake import client, csrf_of, log_in

from sipdect.app.emulator import OmmHandle

READ_ONLY = ("monitor", "Sipdect-Read-2026")


async def test_the_omm_serves_its_web_ui_behind_an_http_redirect(omm: OmmHandle) -> None:
    service = omm.service
    assert service is not None and service.web is not None
    http_port = service.web.http_port
    async with client() as http:
        async with http.get(f"http://{omm.host}:{http_port}/", allow_redirects=False) as r:
            assert r.status == 301 and r.headers["Location"] == omm.web_url
        async with await log_in(http, omm.web_url, omm.username, omm.password) as r:
            text = await r.text()
            assert r.status == 200 and 'id="health"' in text
            assert re.search(r'id="fact-address">\s*' + re.escape(omm.host), text)
            assert 'data-component="standby"' in text
