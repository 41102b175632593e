"""The groups page: the config's user groups (a rule's step names one as `group:NAME`) and the
rules that use each. Groups live in the config file only, so this page shows them."""

from __future__ import annotations

from aiohttp import web

from eventmgr.config import GROUP_PREFIX
from eventmgr.web import em_of
from sipdect import web as kit

NAV_ORDER = 30


def setup(site: kit.WebSite) -> None:
    site.nav("Groups", "/groups", order=NAV_ORDER)
    site.get("/groups", page)


async def page(request: web.Request) -> web.StreamResponse:
    em = em_of(request)
    rules = em.rules()
    groups = [{"name": name, "members": members,
               "rules": sorted(r.name for r in rules
                               if any(GROUP_PREFIX + name in step for step in r.steps))}
              for name, members in sorted(em.cfg.groups.items())]
    return kit.render(request, "em_groups.html", {"title": "Groups", "groups": groups})
