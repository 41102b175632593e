"""Provisioning files with plain bytes (sipdect.axi.provisioning; mom.md §5): AXI requests one
after another, read with their positions; broken elements are reported and skipped."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sipdect.axi.codec import Message
from sipdect.axi.provisioning import (
    MAX_FAULTS,
    ConfigUrl,
    OmmProvisioning,
    Position,
    ProvisionedAccount,
    file_names,
    mac_file,
    omm_files,
    omm_requests,
    read,
    write,
)


def _names(data: bytes) -> list[str]:
    return [r.request.name for r in read(data).requests]


def test_requests_one_after_another_without_seq_or_nul() -> None:
    f = read(b'<SetSystemName name="Site A"/><SetBasicSIP proxyServer="10.0.0.1" '
             b'proxyPort="5060"/><CreatePPUser plainText="1" replaceData="1"><user uid="1" '
             b'num="100" sipPw="secret"/></CreatePPUser>')
    assert not f.faults
    assert [r.request.name for r in f.requests] == ["SetSystemName", "SetBasicSIP",
                                                    "CreatePPUser"]
    user = f.requests[2].request
    assert user.attrs == {"plainText": "1", "replaceData": "1"}
    assert user.children[0].attrs == {"uid": "1", "num": "100", "sipPw": "secret"}
    assert [r.position for r in f.requests] == [Position(1, 1, 1), Position(1, 31, 2),
                                                Position(1, 85, 3)]


def test_lines_comments_and_multi_line_tags_as_public_files_have_them() -> None:
    data = (b"# provisioning of site A\n"
            b'<SetEULAConfirm confirm="1" />\n\n'
            b"  # reduce power\n"
            b"<SetBasicSIP\n   transportProt=\"UDP\"\n   proxyServer=\"10.0.0.1\" />\n"
            b"<!-- an XML comment --><?xml version=\"1.0\"?>\n"
            b'<CreateFixedPP>\n  <user uid="1" num="pp1" />\n  <pp ipei="" />\n</CreateFixedPP>\n')
    f = read(data)
    assert not f.faults
    assert [(r.request.name, r.position.line, r.position.column) for r in f.requests] == [
        ("SetEULAConfirm", 2, 1), ("SetBasicSIP", 5, 1), ("CreateFixedPP", 9, 1)]
    assert f.requests[1].request.attrs == {"transportProt": "UDP", "proxyServer": "10.0.0.1"}
    assert [c.name for c in f.requests[2].request.children] == ["user", "pp"]


def test_an_element_left_open_is_reported_and_what_follows_it_still_reads() -> None:
    # As in a public generator: one start tag lacks its "/".
    data = (b'<SetEULAConfirm confirm="1"/>\n'
            b'<SetRegistrationTrafficShaping maxRegistrations="1" timeout="30">\n'
            b'<SetSite><site id="1" name="A"/></SetSite>\n'
            b'<SetDECTRegDomain regDomain="EMEA"/>\n')
    f = read(data)
    assert [r.request.name for r in f.requests] == ["SetEULAConfirm", "SetSite",
                                                    "SetDECTRegDomain"]
    [fault] = f.faults
    assert fault.name == "SetRegistrationTrafficShaping"
    assert fault.position == Position(2, 1, 2)
    assert "not closed" in fault.reason
    assert str(fault).startswith("<SetRegistrationTrafficShaping> at line 2, column 1")


@pytest.mark.parametrize(("data", "name", "why"), [
    (b'<SetA><x></SetA>', "SetA", "<x> at line 1, column 7 is not closed"),
    (b'<SetA></SetB></SetA>', "SetA", "</SetB> at line 1, column 7 closes nothing"),
    (b'</SetA>', "SetA", "closing tag without an element"),
    (b'<SetA name=unquoted/>', "SetA", "malformed tag"),
    (b'<SetA a="1" a="2"/>', "SetA", "not a well-formed element"),
    (b'<SetA><![CDATA[x]]></SetA>', "SetA", "malformed tag"),
])
def test_a_broken_element_is_one_fault_and_the_next_one_reads(data: bytes, name: str,
                                                               why: str) -> None:
    f = read(data + b'\n<SetSystemName name="ok"/>')
    assert [r.request.name for r in f.requests] == ["SetSystemName"]
    [fault] = f.faults
    assert fault.name == name and why in fault.reason and fault.position.line == 1


def test_text_between_elements_is_a_fault_naming_its_place() -> None:
    f = read(b'<SetA/>\nstray words\n<SetB/>')
    assert _names(b'<SetA/>\nstray words\n<SetB/>') == ["SetA", "SetB"]
    [fault] = f.faults
    assert fault.position == Position(2, 1, 0) and fault.reason == "text outside an element"


@pytest.mark.parametrize(("data", "why"), [
    (b'<SetA/>\xff<SetB/>', "not UTF-8"),
    (b'<SetA/>\0<SetB/>', "NUL"),
    (b'<SetA/><!-- open', "comment not closed"),
])
def test_files_that_are_no_text_are_not_read(data: bytes, why: str) -> None:
    f = read(data)
    assert why in f.faults[-1].reason


def test_a_byte_order_mark_and_a_seq_are_ignored() -> None:
    f = read(b'\xef\xbb\xbf<SetSystemName seq="7" name="A"/>')
    assert not f.faults and f.requests[0].request.attrs == {"name": "A"}


def test_a_file_of_garbage_stops_after_max_faults() -> None:
    f = read(b"<a>" * (MAX_FAULTS * 3))
    assert len(f.faults) == MAX_FAULTS + 1 and "the rest of the file" in f.faults[-1].reason


def test_write_is_one_request_a_line_headed_by_comments() -> None:
    data = write([Message("SetSystemName", {"seq": "3", "name": "A"}),
                  Message("SetSARI", {"sari": "1F10000000"})], comment="for OMM A\nby MOM")
    assert data == (b'# for OMM A\n# by MOM\n<SetSystemName name="A"/>\n'
                    b'<SetSARI sari="1F10000000"/>\n')


def test_what_the_mom_writes_for_an_omm() -> None:
    p = OmmProvisioning(
        system_name="Site A",
        accounts=[ProvisionedAccount("mom", "Secret-1234", ("AllCnfWrite", "AllCnfRead"))],
        settings={"BasicSIP": {"proxyServer": "10.0.0.9", "regServer": "10.0.0.9"}},
        sari="1F10ABCDE0",
        sites=[{"id": "1", "name": "Hall"}],
        rfps=[{"ethAddr": "00:30:42:00:00:01", "name": "RFP 1", "site": "1"}],
        users=[{"uid": "1", "num": "100", "name": "Ann", "sipPw": "pw", "pin": ""}])
    reqs = omm_requests(p)
    assert [m.name for m in reqs] == ["SetSystemName", "CreateAccount", "SetBasicSIP", "SetSARI",
                                      "CreateSite", "CreateRFP", "CreatePPUser"]
    assert all(m.attrs == {"plainText": "1", "replaceData": "1"} for m in reqs[-3:])
    account = reqs[1].children[0]
    assert account.attrs["aging"] == "none"
    assert [c.text for c in account.children] == ["AllCnfWrite", "AllCnfRead"]
    files = omm_files(p, comment="OMM A")
    assert list(files) == ["ipdect.cfg"]
    back = read(files["ipdect.cfg"])
    assert not back.faults and [r.request for r in back.requests] == reqs


def test_file_names_of_an_omm() -> None:
    assert mac_file("00:30:42:0d:1e:2f") == "0030420D1E2F.cfg"
    assert file_names(None) == ("ipdect.cfg",)
    assert file_names("00-30-42-0D-1E-2F") == ("ipdect.cfg", "0030420D1E2F.cfg")
    with pytest.raises(ValueError, match="not a MAC"):
        mac_file("00:30")


names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,12}", fullmatch=True).filter(lambda n: n != "seq")
XML_CHARACTERS = st.characters(blacklist_categories=("Cs", "Cc"),
                               blacklist_characters="\ufffe\uffff")
"""What XML 1.0 carries: a provisioning file's values came from records AXI could hold."""
values = st.text(XML_CHARACTERS, max_size=30)
texts = st.text(XML_CHARACTERS, min_size=1,
                max_size=20).filter(lambda t: bool(t.strip()))
leaves = st.builds(Message, names, st.dictionaries(names, values, max_size=4),
                   st.just([]), st.none() | texts)
messages = st.recursive(
    leaves,
    lambda kids: st.builds(Message, names, st.dictionaries(names, values, max_size=4),
                           st.lists(kids, max_size=3)),
    max_leaves=8)


@settings(deadline=None)
@given(st.lists(messages, max_size=6), st.text(max_size=40))
def test_write_read_round_trip(msgs: list[Message], comment: str) -> None:
    f = read(write(msgs, comment))
    assert not f.faults
    assert [r.request for r in f.requests] == msgs
    assert [r.position.index for r in f.requests] == list(range(1, len(msgs) + 1))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_read_of_arbitrary_bytes_never_raises(data: bytes) -> None:
    f = read(data)
    for item in [*f.faults, *[r.position for r in f.requests]]:
        pos = item.position if hasattr(item, "position") else item
        assert pos.line >= 1 and pos.column >= 1


@settings(max_examples=60, deadline=None)
@given(st.lists(messages, min_size=1, max_size=4),
       st.text(st.sampled_from("<>/=\"' abc#\n"), max_size=30), st.lists(messages, max_size=4))
def test_garbage_between_lines_spares_the_requests_before_it(before: list[Message], junk: str,
                                                             after: list[Message]) -> None:
    f = read(write(before) + junk.encode() + b"\n" + write(after))
    assert [r.request for r in f.requests][:len(before)] == before


@pytest.mark.parametrize(("text", "common", "own"), [
    ("file:///srv/prov/ipdect.cfg", "/srv/prov/ipdect.cfg", "/srv/prov/0030420D1E2F.cfg"),
    ("file:///srv/prov/site-a.cfg", "/srv/prov/site-a.cfg", "/srv/prov/0030420D1E2F.cfg"),
    ("https://u:p@prov.example:8443/omm/a&vc=0", "https://prov.example:8443/omm/a/ipdect.cfg",
     "https://prov.example:8443/omm/a/0030420D1E2F.cfg"),
    ("http://10.0.0.1", "http://10.0.0.1/ipdect.cfg", "http://10.0.0.1/0030420D1E2F.cfg"),
])
def test_configuration_urls_name_a_directory_or_the_common_file(text: str, common: str,
                                                                own: str) -> None:
    url = ConfigUrl.parse(text)
    assert url.file_location("ipdect.cfg") == common
    assert url.file_location(mac_file("00:30:42:0d:1e:2f")) == own
    assert ConfigUrl.from_record(url.record()) == url
    assert "p@" not in url.text() and ConfigUrl.parse(url.text(password=True)) == url


def test_certificates_are_validated_unless_the_url_says_vc_0() -> None:
    assert ConfigUrl.parse("https://srv/prov").validate_certificates
    assert not ConfigUrl.parse("https://srv/prov&vc=0&cm=1").validate_certificates


@pytest.mark.parametrize("bad", ["", "srv/prov", "https:///prov", "file://host/x",
                                 "http://srv:99999/"])
def test_what_is_no_configuration_url(bad: str) -> None:
    with pytest.raises(ValueError):
        ConfigUrl.parse(bad)
