"""Paging of long lists (20,000 users): which slice a request asks for, and the links around
it. Pure: the page handler asks the model for `pager.start`/`pager.count` rows only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from sipdect.web.conventions import MAX_PAGE_SIZE, PAGE_SIZE


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        number = default
    return min(max(number, low), high)


@dataclass(frozen=True, slots=True)
class Pager:
    """One page of `total` rows: page numbers count from 1."""

    page: int
    per_page: int
    total: int

    @classmethod
    def from_query(cls, query: Mapping[str, str], total: int, per_page: int = PAGE_SIZE
                   ) -> Pager:
        """From `?page=N&per_page=M` (bad or out-of-range values are clamped, never an
        error); the page is clamped to the last one."""
        size = _int(query.get("per_page"), per_page, 1, MAX_PAGE_SIZE)
        last = max(1, -(-total // size))
        return cls(_int(query.get("page"), 1, 1, last), size, total)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def start(self) -> int:
        """Index of the first row shown."""
        return (self.page - 1) * self.per_page

    @property
    def count(self) -> int:
        """Rows on this page."""
        return max(0, min(self.per_page, self.total - self.start))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def link(self, page: int, query: Mapping[str, str] | None = None) -> str:
        """The query string of another page, keeping the other parameters (a search)."""
        params = {k: v for k, v in (query or {}).items() if k not in ("page", "per_page")}
        params["page"] = str(page)
        if self.per_page != PAGE_SIZE:
            params["per_page"] = str(self.per_page)
        return "?" + urlencode(params)
