"""CSRF checks, the HTTP redirect's target and the pager with plain values; hypothesis for the
header and query readers (anything a browser may send)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sipdect.web.csrf import cross_site_fetch, same_origin, token_matches
from sipdect.web.paging import Pager
from sipdect.web.server import redirect_target


def test_a_token_must_be_the_sessions_own() -> None:
    assert token_matches("abc", "abc")
    assert not token_matches("abc", "abd") and not token_matches("abc", None)
    assert not token_matches("", "") and not token_matches("abc", "")


def test_the_origin_must_be_this_site() -> None:
    host = "127.0.0.1:8443"
    assert same_origin("https://127.0.0.1:8443", None, "https", host)
    assert same_origin(None, "https://127.0.0.1:8443/users?x=1", "https", host)
    assert same_origin(None, None, "https", host)  # no header: the token decides
    assert same_origin("https://localhost", None, "https", "LOCALHOST:443")
    for other in ("https://evil.example", "http://127.0.0.1:8443", "https://127.0.0.1:443",
                  "null", "", "https://127.0.0.1:8443.evil.example"):
        assert not same_origin(other, None, "https", host), other
    assert not same_origin(None, "https://evil.example/", "https", host)
    assert cross_site_fetch("cross-site") and not cross_site_fetch("same-origin")
    assert not cross_site_fetch(None)


@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()), st.text())
def test_any_origin_header_is_judged_without_an_error(origin: str | None, referer: str | None,
                                                      host: str) -> None:
    assert same_origin(origin, referer, "https", host) in (True, False)


def test_http_is_sent_to_https_at_the_host_asked_for() -> None:
    assert redirect_target("127.0.0.1:8080", "127.0.0.5", 8443, "/a?b=1") == \
        "https://127.0.0.1:8443/a?b=1"
    assert redirect_target("omm.example", "127.0.0.5", 443, "/") == "https://omm.example/"
    assert redirect_target(None, "127.0.0.5", 8443, "/") == "https://127.0.0.5:8443/"
    assert redirect_target("evil/x@y", "127.0.0.5", 8443, "/") == "https://127.0.0.5:8443/"


@given(st.one_of(st.none(), st.text()), st.text())
def test_a_redirect_never_leaves_for_a_host_the_header_smuggled(host: str | None,
                                                                path: str) -> None:
    target = redirect_target(host, "127.0.0.5", 8443, path)
    netloc = target[len("https://"):].split("/", 1)[0]
    assert target.startswith("https://") and "@" not in netloc
    assert all(c.isalnum() or c in ".-:" for c in netloc)


def test_the_pager_clamps_what_it_is_asked() -> None:
    pager = Pager.from_query({"page": "3", "per_page": "10"}, total=45)
    assert (pager.start, pager.count, pager.pages, pager.has_next) == (20, 10, 5, True)
    last = Pager.from_query({"page": "99", "per_page": "10"}, total=45)
    assert (last.page, last.count, last.has_next, last.has_previous) == (5, 5, False, True)
    empty = Pager.from_query({"page": "x"}, total=0)
    assert (empty.page, empty.count, empty.pages) == (1, 0, 1)
    assert pager.link(4, {"q": "Al ice", "page": "3"}) == "?q=Al+ice&page=4&per_page=10"


@given(st.dictionaries(st.sampled_from(["page", "per_page", "q"]), st.text()),
       st.integers(min_value=0, max_value=100_000))
def test_any_query_gives_a_page_within_the_rows(query: dict[str, str], total: int) -> None:
    pager = Pager.from_query(query, total)
    assert 1 <= pager.page <= pager.pages
    assert 0 <= pager.start and pager.start + pager.count <= max(total, 0)
