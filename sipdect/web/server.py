"""The web platform's listeners: HTTPS with the component's certificate and TLS security level,
and plain HTTP that only redirects to HTTPS at the same host and the HTTPS port (seed 000:
"An HTTP request on port 80 will be redirected to HTTPS on port 443").
"""

from __future__ import annotations

import asyncio
import re
import ssl

from aiohttp import web

from sipdect.net import HostNet
from sipdect.web import conventions as conv
from sipdect.web.site import WebSite

_HOST_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$")


def redirect_target(host_header: str | None, fallback: str, https_port: int, path_qs: str
                    ) -> str:
    """The HTTPS URL an HTTP request is sent to: the host the browser asked for (its Host
    header without the port; the listener's address when the header is missing or no plain
    host name), the HTTPS port (left out when 443)."""
    host = (host_header or "").rsplit(":", 1)[0] if host_header and not host_header.startswith(
        "[") else ""
    if not _HOST_NAME.match(host):
        host = fallback
    port = "" if https_port == 443 else f":{https_port}"
    path = path_qs if path_qs.startswith("/") else "/" + path_qs
    return f"https://{host}{port}{path}"


class WebServer:
    """One component's web UI on its host: HTTPS (the site) and HTTP (redirect only)."""

    def __init__(self, site: WebSite, address: str, *, https_port: int, http_port: int,
                 tls: ssl.SSLContext, net: HostNet | None = None) -> None:
        """Ports 0: any free port. `net`: the host whose sockets these are (kill, cut)."""
        self.site = site
        self.address = address
        self._ports = (https_port, http_port)
        self._tls = tls
        self._net = net
        self._runners: list[web.AppRunner] = []
        self._servers: list[asyncio.Server] = []
        self.https_port = 0
        self.http_port = 0

    @property
    def url(self) -> str:
        """The HTTPS URL of the UI's home page."""
        port = "" if self.https_port == 443 else f":{self.https_port}"
        return f"https://{self.address}{port}/"

    async def start(self) -> None:
        secure = await self._listen(self.site.app, self._ports[0], self._tls)
        self.https_port = secure.sockets[0].getsockname()[1]
        redirect = web.Application()
        redirect.router.add_route("*", "/{tail:.*}", self._redirect)
        redirect.on_response_prepare.append(_plain_headers)
        plain = await self._listen(redirect, self._ports[1], None)
        self.http_port = plain.sockets[0].getsockname()[1]

    async def _listen(self, app: web.Application, port: int, tls: ssl.SSLContext | None
                      ) -> asyncio.Server:
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        self._runners.append(runner)
        factory = runner.server
        assert factory is not None  # set up above
        if self._net is not None:
            server = await self._net.create_server(factory, port, ssl=tls)
        else:
            server = await asyncio.get_running_loop().create_server(
                factory, self.address, port, ssl=tls, reuse_address=True)
        self._servers.append(server)
        return server

    async def _redirect(self, request: web.Request) -> web.StreamResponse:
        target = redirect_target(request.headers.get("Host"), self.address, self.https_port,
                                 request.raw_path)
        return web.Response(status=conv.REDIRECT_STATUS, headers={"Location": target})

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for runner in self._runners:
            await runner.cleanup()
        for server in self._servers:
            try:
                await asyncio.wait_for(server.wait_closed(), 5)
            except TimeoutError:
                pass
        self._servers.clear()
        self._runners.clear()


async def _plain_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in conv.SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Cache-Control"] = conv.PRIVATE_CACHE
    response.headers.pop("Server", None)
