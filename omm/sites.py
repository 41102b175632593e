"""Sites: groups of RFPs sharing codec, SRTP and DECT security settings (axi.md §5.4)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from omm.errors import Exists, Forbidden, NoMemory, NotFound
from omm.tables import Change, Record, Table, apply
from sipdect.axi.records import SITE

#: A new OMM has one site (id 1) that every RFP starts in [A].
DEFAULT_SITE_ID = 1
DEFAULT_SITE: dict[str, Any] = {"id": DEFAULT_SITE_ID, "name": "Default"}


class Sites:
    def __init__(self, store: Any, notify: Callable[[Change], None], capacity: int,
                 initial: Iterable[dict[str, Any]] = ()) -> None:
        """`initial`: the sites of a new installation (a system config's); site 1 is the
        default one unless they give it other values."""
        self.table = Table(store, "sites", "site", "id", notify)
        self.capacity = capacity
        if not len(self.table):
            given = {int(s["id"]): s for s in initial}
            self.table.insert({**SITE.defaults(), **DEFAULT_SITE,
                               **given.pop(DEFAULT_SITE_ID, {})})
            for site_id in sorted(given):
                self.table.insert({**SITE.defaults(), "name": f"Site {site_id}",
                                   **given[site_id]})

    def __len__(self) -> int:
        return len(self.table)

    def exists(self, site_id: int) -> bool:
        return self.table.get(site_id) is not None

    def get(self, site_id: int) -> Record:
        rec = self.table.get(site_id)
        if rec is None:
            raise NotFound(f"no site with id {site_id}", "id")
        return rec

    def create(self, values: dict[str, Any]) -> Record:
        if len(self.table) >= self.capacity:
            raise NoMemory(f"the OMM holds at most {self.capacity} sites")
        site_id = values.get("id") or self.table.next_key()
        if self.exists(site_id):
            raise Exists(f"site {site_id} exists already", "id")
        rec = SITE.defaults()
        rec.update(values)
        rec["id"] = site_id
        rec.pop("nRFPs", None)
        return self.table.insert(rec)

    def update(self, site_id: int, values: dict[str, Any]) -> Record:
        rec = self.get(site_id)
        values = {k: v for k, v in values.items() if k != "id"}
        return self.table.update(rec, apply(rec, values))

    def delete(self, site_id: int, rfps_on_site: int) -> Record:
        self.get(site_id)
        if rfps_on_site:
            raise Forbidden(f"site {site_id} still has {rfps_on_site} RFPs", "id")
        if len(self.table) == 1:
            raise Forbidden("the last site cannot be deleted", "id")
        return self.table.remove(site_id)

    def page(self, start: int, count: int) -> list[Record]:
        return self.table.page(start, count)
