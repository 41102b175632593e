"""omm.media.RfpMediaControl with a fake link: the MEDIA_* sequences a call's life sends to the
RFPs, ports and handles, and what the RFPs report back (docs/calls.md §2)."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from omm.media import DEFAULT_RTP_PORT_BASE, RfpMediaControl
from omm.mediaport import MediaCodecChoice, MediaPort, RtpAddress, SrtpKeys
from omm.statistics import voice_capacity
from sipdect.link import constants as c
from sipdect.link.media import (
    CODEC_G722,
    MediaClose,
    MediaConf,
    MediaDtmf,
    MediaOpen,
    MediaRedirectStart,
    MediaRedirectStop,
    MediaRestart,
    MediaStart,
    MediaStatistics,
    MediaStop,
    SrtpBlock,
)
from sipdect.link.messages import TypedMessage

PCMA = MediaCodecChoice("PCMA", 8)
FAR = RtpAddress("10.1.2.3", 40000)
HOSTS = {1: "10.9.0.1", 2: "10.9.0.2", 3: "10.9.0.1"}  # RFPs 1 and 3 share an address
KEYS = SrtpKeys("AES_CM_128_HMAC_SHA1_80", bytes([1]) * 30, bytes([2]) * 30)


class Link:
    def __init__(self) -> None:
        self.sent: list[tuple[int, TypedMessage]] = []
        self.down: set[int] = set()

    def send(self, rfp_id: int, message: TypedMessage) -> bool:
        if rfp_id in self.down:
            return False
        self.sent.append((rfp_id, message))
        return True

    def messages(self) -> list[TypedMessage]:
        out = [m for _, m in self.sent]
        self.sent.clear()
        return out


@pytest.fixture
def link() -> Link:
    return Link()


@pytest.fixture
def control(link: Link) -> RfpMediaControl:
    counter = iter(range(0x40, 0x100))
    return RfpMediaControl(link.send, HOSTS.get, probe=False,
                           random=lambda n: bytes([next(counter)]) * n)


def test_it_is_a_media_port(control: RfpMediaControl) -> None:
    port: MediaPort = control
    assert port.reserve(5, 1) == RtpAddress("10.9.0.1", DEFAULT_RTP_PORT_BASE)


def test_reserve_hands_out_even_ports_per_rfp_host(control: RfpMediaControl) -> None:
    assert control.reserve(5, 1) == RtpAddress("10.9.0.1", 16320)
    assert control.reserve(5, 1) == RtpAddress("10.9.0.1", 16320)  # the same call again
    assert control.reserve(6, 3) == RtpAddress("10.9.0.1", 16322)  # same host
    assert control.reserve(7, 2) == RtpAddress("10.9.0.2", 16320)  # another host
    assert control.reserve(8, 99) is None  # not connected
    control.stop(5)
    assert control.reserve(9, 1) == RtpAddress("10.9.0.1", 16320)


def test_start_sends_open_conf_start_with_codec_far_end_srtp_and_dtmf(
        control: RfpMediaControl, link: Link) -> None:
    local = control.reserve(5, 1)
    assert local is not None
    control.start(5, 1, 7, MediaCodecChoice("PCMU", 0), FAR, KEYS, 101)
    opened, conf, start = link.messages()
    assert isinstance(opened, MediaOpen) and opened.codec == c.Codec.G711_ULAW
    assert opened.slot_count == 1
    assert isinstance(conf, MediaConf) and conf.handle == opened.handle
    assert (conf.mcei, conf.ppn, conf.vif) == (7, 5, 20)
    assert [(k.codec, k.payload_type, k.rate_khz) for k in conf.codecs] == [(4, 0, 8)]
    assert (conf.local_rtp_port, conf.local_rtcp_port) == (local.port, local.port + 1)
    assert (conf.tx_address, conf.tx_port1, conf.tx_port2) == (
        ipaddress.IPv4Address("10.1.2.3"), 40000, 40001)
    assert conf.srtp == SrtpBlock(KEYS.suite, KEYS.tx_key, KEYS.rx_key)
    assert conf.dtmf_payload_type == 101 and len(conf.encode()) == 168
    assert start == MediaStart(opened.handle, c.MediaDirection.TX_RX)


def test_g722_opens_two_slots_and_plain_rtp_has_no_srtp_block(control: RfpMediaControl,
                                                                link: Link) -> None:
    control.reserve(5, 1)
    control.start(5, 1, 7, MediaCodecChoice("G722", 9), FAR, None, None)
    opened, conf, _ = link.messages()
    assert isinstance(opened, MediaOpen) and (opened.codec, opened.slot_count) == (CODEC_G722, 2)
    assert isinstance(conf, MediaConf) and conf.srtp is None and conf.dtmf_payload_type is None
    assert conf.codecs[0].rate_khz == 16


def test_dtmf_and_stop(control: RfpMediaControl, link: Link) -> None:
    control.reserve(5, 1)
    control.start(5, 1, 7, PCMA, FAR, None, 101)
    handle = link.messages()[0].handle  # type: ignore[attr-defined]
    control.dtmf(5, "9")
    assert link.messages() == [MediaDtmf(handle, 100, ord("9"), c.MediaDirection.TX)]
    control.stop(5)
    assert link.messages() == [MediaStop(handle, c.MediaDirection.TX_RX), MediaClose(handle)]
    control.dtmf(5, "1")
    control.stop(5)
    assert link.messages() == []
    assert control.reserve(6, 1) == RtpAddress("10.9.0.1", 16320)


def test_handover_redirects_the_anchor_to_a_fresh_channel_with_fresh_keys(
        control: RfpMediaControl, link: Link) -> None:
    control.reserve(5, 1)
    control.start(5, 1, 7, MediaCodecChoice("PCMU", 0), FAR, KEYS, 101)
    anchor = link.messages()[0].handle  # type: ignore[attr-defined]
    control.handover(5, 2, 11)
    sent = link.sent[:]
    assert [(r, type(m).__name__) for r, m in sent] == [
        (2, "MediaOpen"), (2, "MediaConf"), (2, "MediaStart"), (1, "MediaRedirectStart")]
    opened, conf, _, redirect = [m for _, m in sent]
    link.sent.clear()
    assert isinstance(opened, MediaOpen) and opened.codec == c.Codec.G711_ALAW  # the air's
    assert isinstance(conf, MediaConf) and isinstance(redirect, MediaRedirectStart)
    assert redirect.handle == anchor and conf.mcei == 11
    assert (str(conf.tx_address), conf.tx_port1) == ("10.9.0.1", redirect.local_port1)
    assert (str(redirect.remote_address), redirect.remote_port1) == (
        "10.9.0.2", conf.local_rtp_port)
    assert redirect.local_port1 % 2 == 0 and redirect.local_port2 == redirect.local_port1 + 1
    there, back = redirect.srtp, conf.srtp
    assert there is not None and back is not None
    assert (there.tx_key, there.rx_key) == (back.rx_key, back.tx_key)
    assert there.tx_key not in (KEYS.tx_key, KEYS.rx_key) and there.tx_key != there.rx_key
    assert conf.dtmf_payload_type is None
    # on to a third RFP: the old leg is closed after the new one is up
    control.handover(5, 3, 12)
    names = [(r, type(m).__name__) for r, m in link.sent]
    assert names == [(3, "MediaOpen"), (3, "MediaConf"), (3, "MediaStart"),
                     (1, "MediaRedirectStart"), (2, "MediaStop"), (2, "MediaClose")]
    link.sent.clear()
    # back to the anchor: redirect off and the anchor's channel follows the new MCEI
    control.handover(5, 1, 13)
    msgs = link.sent[:]
    assert [(r, type(m).__name__) for r, m in msgs] == [
        (1, "MediaRedirectStop"), (3, "MediaStop"), (3, "MediaClose"), (1, "MediaRestart")]
    assert msgs[0][1] == MediaRedirectStop(anchor, 1)
    assert msgs[-1][1] == MediaRestart(anchor, 13)


def test_handover_of_a_plain_rtp_call_has_a_plain_redirect_leg(control: RfpMediaControl,
                                                                link: Link) -> None:
    control.reserve(5, 1)
    control.start(5, 1, 7, PCMA, FAR, None, None)
    link.sent.clear()
    control.handover(5, 2, 11)
    _, conf, _, redirect = link.messages()
    assert isinstance(conf, MediaConf) and conf.srtp is None
    assert isinstance(redirect, MediaRedirectStart) and redirect.tail == b""


def test_stop_after_handover_closes_both_rfps_and_frees_every_port(
        control: RfpMediaControl, link: Link) -> None:
    control.reserve(5, 1)
    control.start(5, 1, 7, PCMA, FAR, None, None)
    control.handover(5, 2, 11)
    link.sent.clear()
    control.stop(5)
    assert [(r, type(m).__name__) for r, m in link.sent] == [
        (2, "MediaStop"), (2, "MediaClose"), (1, "MediaStop"), (1, "MediaClose")]
    assert control.reserve(6, 1) == RtpAddress("10.9.0.1", 16320)
    assert control.reserve(7, 2) == RtpAddress("10.9.0.2", 16320)


def test_start_on_another_rfp_than_reserved_anchors_where_the_sdp_points(
        control: RfpMediaControl, link: Link) -> None:
    control.reserve(5, 1)
    control.start(5, 2, 11, PCMA, FAR, None, None)
    names = [(r, type(m).__name__) for r, m in link.sent]
    assert names == [(1, "MediaOpen"), (1, "MediaConf"), (2, "MediaOpen"), (2, "MediaConf"),
                     (2, "MediaStart"), (1, "MediaRedirectStart"), (1, "MediaStart")]


def test_statistics_and_dtmf_from_the_rfps(link: Link) -> None:
    keys: list[tuple[int, str]] = []
    control = RfpMediaControl(link.send, HOSTS.get, probe=False,
                              on_dtmf=lambda ppn, key: keys.append((ppn, key)))
    control.reserve(5, 1)
    control.start(5, 1, 7, PCMA, FAR, None, 101)
    handle = link.messages()[0].handle  # type: ignore[attr-defined]
    assert control.receive(1, MediaDtmf(handle, 120, ord("*"), c.MediaDirection.RX))
    assert keys == [(5, "*")] and control.dtmf_received == [(5, "*")]
    control.stop(5)
    stats = MediaStatistics(handle, bytes(2), 3, 150, 24000, 149, 23840, 1, 900,
                            ipaddress.IPv4Address("10.1.2.3"))
    assert control.receive(1, stats)
    assert control.statistics(5) == [stats]
    assert not control.receive(1, MediaStart(handle, 3))


def test_a_disconnected_rfp_gets_nothing_and_nothing_breaks(control: RfpMediaControl,
                                                           link: Link) -> None:
    control.reserve(5, 1)
    link.down.add(1)
    control.start(5, 1, 7, PCMA, FAR, None, None)
    assert link.sent == []
    control.handover(5, 99, 3)  # the new RFP is gone already
    control.stop(5)
    assert control.calls == {}


def test_unknown_codec_or_hostname_far_end_starts_nothing(control: RfpMediaControl,
                                                          link: Link) -> None:
    control.reserve(5, 1)
    control.start(5, 1, 7, MediaCodecChoice("G729", 18), FAR, None, None)
    control.reserve(6, 1)
    control.start(6, 1, 8, PCMA, RtpAddress("pbx.example", 4000), None, None)
    assert link.sent == []


def test_ports_in_use_on_the_host_are_skipped_when_probing(link: Link) -> None:
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    port = busy.getsockname()[1]
    base = port - port % 2
    try:
        control = RfpMediaControl(link.send, lambda rfp_id: "127.0.0.1", port_base=base,
                                  port_count=64)
        got = control.reserve(5, 1)
        assert got is not None and got.port not in (base, port) and got.port % 2 == 0
    finally:
        busy.close()
    with pytest.raises(ValueError, match="even"):
        RfpMediaControl(link.send, HOSTS.get, port_base=16321)


def test_a_second_start_reopens_the_channel_on_the_ports_of_the_sdp(control: RfpMediaControl,
                                                                    link: Link) -> None:
    local = control.reserve(5, 1)
    control.start(5, 1, 7, PCMA, FAR, None, None)
    first = link.messages()[0].handle  # type: ignore[attr-defined]
    assert control.reserve(5, 1) == local
    control.start(5, 1, 7, MediaCodecChoice("PCMU", 0), RtpAddress("10.1.2.3", 41000), None,
                  None)
    stop, close, opened, conf, start = link.messages()
    assert (stop, close) == (MediaStop(first, c.MediaDirection.TX_RX), MediaClose(first))
    assert isinstance(conf, MediaConf) and local is not None
    assert conf.local_rtp_port == local.port and conf.tx_port1 == 41000
    assert control.reserve(6, 1) != local


def test_a_call_finding_every_voice_channel_of_its_rfp_busy_is_refused(
        control: RfpMediaControl) -> None:
    """An RFP 44 has 4 voice channels (features.md §1 row 5): a fifth call on it is refused
    and counted; the other RFPs and a channel freed again take calls."""
    rejected: list[int] = []
    control.capacity = lambda rfp_id: voice_capacity("RFP 44" if rfp_id == 1 else "RFP 35")
    control.on_rejected = rejected.append
    for ppn in range(1, 5):  # two promised, two open
        assert control.reserve(ppn, 1) is not None
        if ppn % 2:
            control.start(ppn, 1, ppn, PCMA, FAR, None, None)
    assert control.in_use(1) == 4 and control.full(1)
    assert control.reserve(5, 1) is None
    assert rejected == [1] and 5 not in control.calls
    assert control.reserve(5, 2) is not None  # RFP 2 has its own channels
    control.stop(1)
    assert control.reserve(6, 1) is not None
    assert rejected == [1]


@pytest.mark.parametrize(("hw_type", "channels"), [
    ("RFP 44", 4), ("RFP L44", 4), ("RFP 44 US", 4), ("RFP 35", 8), ("RFP L43 US", 8),
    ("PC ECM", 8), ("Unknown", 8), ("", 8)])
def test_voice_capacity_by_model(hw_type: str, channels: int) -> None:
    assert voice_capacity(hw_type) == channels
