"""AXI over TLS whatever the client's TLS records look like (axi.md §1: NUL-framed XML).

.NET's SslStream and other stacks write a message and its NUL terminator as two TLS records;
when both arrive in one read the OMM must still see every byte. The client here chooses the
record boundaries (tls_records.TlsRecords) and which records share one TCP send.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tls_records import BlockingTlsClient, client_context

from sipdect.app.emulator import OmmHandle
from sipdect.axi.codec import Message, element, parse, render


def frames(plain: bytes) -> list[Message]:
    """The complete messages in what the OMM sent so far."""
    return [parse(raw) for raw in plain.split(b"\0")[:-1]]


def answered(n: int) -> Callable[[bytes], bool]:
    """Whether `n` complete messages arrived."""
    return lambda plain: plain.count(b"\0") >= n


def login_frame(omm: OmmHandle) -> bytes:
    return render(element("Open", {"seq": 1, "username": omm.username,
                                   "password": omm.password}))


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_a_request_and_its_nul_in_two_records_of_one_send(omm: OmmHandle, version: str) -> None:
    client = BlockingTlsClient(omm.host, omm.tls_port,
                               client_context(getattr(ssl.TLSVersion, version)))
    try:
        client.send_records([login_frame(omm), b"\0"])
        for seq in range(2, 6):  # shorter than Open: the NUL's place held an older byte
            client.send_records([f'<Ping seq="{seq}"/>'.encode(), b"\0"])
            client.read_until(answered(seq))
        answers = frames(client.read_until(answered(5)))
    finally:
        client.close()
    assert answers[0].name == "OpenResp" and "errCode" not in answers[0].attrs
    assert [(a.name, a.attrs) for a in answers[1:]] == [
        ("PingResp", {"seq": str(seq)}) for seq in range(2, 6)]


# Requests of very different sizes; the big one spans more than one 16 KiB server read.
REQUESTS = {
    "Ping": element("Ping"),
    "Limits": element("Limits"),
    "GetAccountSummary": element("GetAccountSummary"),
    "GetVersions": element("GetVersions", children=[element("version", {"element": "Ping"})]),
    "big": element("GetVersions", children=[element("version", {"element": f"Nothing{i:04}"})
                                            for i in range(700)]),
}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.sampled_from(sorted(REQUESTS)), min_size=1, max_size=10),
       data=st.data())
def test_any_record_split_of_a_request_stream_is_answered_in_order(
        omm: OmmHandle, names: list[str], data: st.DataObject) -> None:
    stream = bytearray(login_frame(omm) + b"\0")
    for seq, name in enumerate(names, start=2):
        msg = REQUESTS[name]
        stream += render(Message(msg.name, {"seq": str(seq)}, msg.children)) + b"\0"
    cuts = data.draw(st.lists(st.integers(1, len(stream) - 1), max_size=30), label="records")
    edges = sorted({0, len(stream), *cuts})
    records = [bytes(stream[a:b]) for a, b in zip(edges, edges[1:], strict=False)]
    sends = data.draw(st.lists(st.integers(1, max(1, len(records) - 1)), max_size=8),
                      label="sends")
    groups = sorted({0, len(records), *(s for s in sends if s < len(records))})
    client = BlockingTlsClient(omm.host, omm.tls_port)
    try:
        for a, b in zip(groups, groups[1:], strict=False):
            client.send_records(records[a:b])
        answers = frames(client.read_until(answered(1 + len(names))))
    finally:
        client.close()
    assert answers[0].name == "OpenResp" and "errCode" not in answers[0].attrs
    assert [(a.name, a.attrs["seq"]) for a in answers[1:]] == [
        (REQUESTS[name].name + "Resp", str(seq)) for seq, name in enumerate(names, start=2)]
