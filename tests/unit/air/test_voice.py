"""Voice on the simulated air: AirVoice ciphering, a handset's VoicePath, the radio's voice
hand-off to the media gateway, and World's one 10 ms ticker (docs/calls.md §2).
"""

from __future__ import annotations

import heapq
import itertools
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dect.identities import Ari, Rfpi
from dect.security import dsc_iv, dsc_keystream
from dect.timing import FRAME_SECONDS
from rfp.radio import RfpRadio
from sim.air import (
    VOICE_B_FIELD_OFFSET,
    VOICE_HALF_BYTES,
    Air,
    cipher_frame,
    cipher_voice,
    cipher_voices,
)
from sim.handset import State
from sim.primitives import AirConnect, AirVoice
from sim.voice import PcmSource, VoicePath, default_tone_hz
from sim.world import HandsetEntry, World
from sipdect.link import constants as c
from sipdect.link.dnm import Dnm, Element, HoInProgressRes, MacEncKeyReq
from sipdect.media import constants as mc
from sipdect.media.codecs import alaw_decode, alaw_encode
from sipdect.media.signals import ToneGenerator, detect_tone

Prim = c.DnmPrimitive
Rfpc = c.RfpcPrimitive
ARI = Ari.class_b(0x10A, 0x2AF)
DCK = bytes.fromhex("8560dc324ea49f37")
WRONG = bytes.fromhex("bb9a6a40cb2f8414")
PMID = 0x0027B
HANDSET = 1


# -- ciphering -------------------------------------------------------------------------------------
def test_voice_b_field_takes_the_long_slot_keystream_after_the_tail_bits() -> None:
    payload = bytes(80)
    stream = dsc_keystream(DCK, dsc_iv(7, 3), 16 * VOICE_HALF_BYTES)
    assert cipher_voice(DCK, 7, 3, payload, downlink=True) == stream[5:85]
    assert cipher_voice(DCK, 7, 3, payload, downlink=False) == stream[90:170]
    assert VOICE_B_FIELD_OFFSET == 5
    assert cipher_voice(DCK, 7, 3, payload, downlink=True) != cipher_frame(
        DCK, 7, 3, payload, downlink=True)


def test_voice_ciphering_is_its_own_inverse_and_batches_agree() -> None:
    frame = bytes(range(80))
    once = cipher_voice(DCK, 1, 2, frame, downlink=False)
    assert once != frame and cipher_voice(DCK, 1, 2, once, downlink=False) == frame
    items = [(DCK if i % 2 else WRONG, i, i % 16, frame, bool(i % 3)) for i in range(40)]
    assert cipher_voices(items) == [cipher_voice(k, m, f, p, downlink=d)
                                    for k, m, f, p, d in items]
    assert cipher_voices([]) == []


# -- VoicePath ------------------------------------------------------------------------------------
def test_voice_path_sends_its_tone_as_alaw_and_records_what_it_hears() -> None:
    path = VoicePath(tone_hz=700)
    sent = b"".join(path.next_uplink() for _ in range(30))
    assert len(sent) == 30 * 80 and path.stats.sent == 30
    assert detect_tone(alaw_decode(sent), 700).present
    gen = ToneGenerator(1100)
    for i in range(50):
        path.receive(alaw_encode(gen.next_frame()), i)
    assert path.stats.received == 50
    assert path.hears_tone(1100).present and not path.hears_tone(700).present
    assert len(path.heard(0.2)) == 1600


def test_voice_path_counts_undecodable_and_late_frames() -> None:
    path = VoicePath()
    path.receive(bytes(80), 10)
    path.receive(bytes(80), 10)  # the same frame again
    path.receive(bytes(80), 9)
    path.receive(None, 11)  # no key to decipher it
    path.receive(bytes(40), 12)
    path.receive(bytes(80), 14)
    stats = path.stats
    assert (stats.received, stats.late, stats.undecodable, stats.missing) == (2, 2, 2, 3)


def test_noise_from_a_wrong_key_is_not_taken_for_the_tone() -> None:
    path = VoicePath()
    gen = ToneGenerator(1000)
    for i in range(50):
        ciphered = cipher_voice(DCK, 0, i % 16, alaw_encode(gen.next_frame()), downlink=True)
        path.receive(cipher_voice(WRONG, 0, i % 16, ciphered, downlink=True), i)
    assert not path.hears_tone(1000).present


def test_wideband_voice_path_is_g722_at_16_khz() -> None:
    path = VoicePath(wideband=True, tone_hz=5000)
    frames = [path.next_uplink() for _ in range(20)]
    assert {len(f) for f in frames} == {80}
    listener = VoicePath(wideband=True, tone_hz=300)
    for i, frame in enumerate(frames):
        listener.receive(frame, i)
    assert listener.hears_tone(5000, 0.1).present  # above the narrowband edge


def test_a_wav_file_is_a_source(tmp_path: Path) -> None:
    pcm = ToneGenerator(440).samples(8000)
    wav_path = tmp_path / "voice.wav"
    with wave.open(str(wav_path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(pcm.astype("<i2").tobytes())
    path = VoicePath(source=PcmSource.from_file(wav_path), tone_hz=None)
    sent = b"".join(path.next_uplink() for _ in range(50))
    assert detect_tone(alaw_decode(sent), 440).present
    raw = tmp_path / "voice.pcm"
    raw.write_bytes(pcm.astype("<i2").tobytes())
    assert np.array_equal(PcmSource.from_file(raw).next_frame(), pcm[:80])


def test_handsets_get_tones_of_their_own() -> None:
    assert len({default_tone_hz(h) for h in range(1, 31)}) == 30
    assert all(300 < default_tone_hz(h) < 3400 for h in range(1, 100))


# -- the radio -----------------------------------------------------------------------------------
def active_radio(air: Air, rfp_id: int = 0) -> RfpRadio:
    radio = RfpRadio(air, rfp_id)
    radio.link_up(0.0)
    radio.receive_link(Dnm.rfpc(Rfpc.INIT_REQ, [
        Element(c.RfpcKey.RFPI, Rfpi(ARI, rfp_id).to_bytes())]), 0.0)
    radio.receive_link(Dnm.rfpc(Rfpc.ACTIVATE_REQ), 0.0)
    radio.messages_to_send()
    return radio


def ciphered_connection(air: Air, radio: RfpRadio, hid: int = HANDSET,
                        handover: bool = False) -> int:
    assert air.send_from_handset(hid, radio.rfp_id, AirConnect(PMID, handover))
    air.deliver(0.0)
    mcei = next(m.mcei for m in radio.messages_to_send()
                if isinstance(m, Dnm) and m.primitive == Prim.MAC_CON_IND)
    assert mcei is not None
    if handover:
        radio.receive_link(Dnm.mac(Prim.HO_IN_PROGRESS_RES, mcei,
                                   HoInProgressRes(key=DCK, key_id=1)), 0.0)
    else:
        radio.receive_link(Dnm.mac(Prim.MAC_ENC_KEY_REQ, mcei, MacEncKeyReq(DCK, 1)), 0.0)
    radio.messages_to_send()
    air.deliver(0.0)
    air.take_for_handset(hid)
    return mcei


def test_radio_deciphers_uplink_voice_for_the_gateway_and_ciphers_downlink() -> None:
    air = Air()
    air.add_rfp(0, 0, 0)
    air.add_handset(HANDSET, 5, 0)
    radio = active_radio(air)
    heard: list[tuple[int, bytes]] = []
    radio.voice_sink = lambda mcei, payload, now: heard.append((mcei, payload))
    mcei = ciphered_connection(air, radio)
    frame = bytes(range(80))
    air.send_from_handset(HANDSET, 0, AirVoice(
        PMID, cipher_voice(DCK, 0, 4, frame, downlink=False), 0, 4, ciphered=True))
    air.deliver(0.0)
    assert heard == [] and air.pending == 1  # waits for the next batch of keystreams
    air.deliver(0.0)
    assert heard == [(mcei, frame)]
    assert radio.send_voice(mcei, frame, 0.05)
    assert not radio.send_voice(mcei + 1, frame, 0.05)
    air.deliver(0.05)
    ((_, down),) = air.take_for_handset(HANDSET)
    assert isinstance(down, AirVoice) and down.ciphered and (down.mfn, down.fn) == (0, 5)
    assert cipher_voice(DCK, 0, 5, down.payload, downlink=True) == frame
    assert radio.counters.voice_frames_in == 1 and radio.counters.voice_frames_out == 1


def test_ciphered_voice_before_the_key_is_counted_bad() -> None:
    air = Air()
    air.add_rfp(0, 0, 0)
    air.add_handset(HANDSET, 5, 0)
    radio = active_radio(air)
    radio.voice_sink = lambda mcei, payload, now: pytest.fail("no key: nothing to hand on")
    air.send_from_handset(HANDSET, 0, AirConnect(PMID))
    air.deliver(0.0)
    air.send_from_handset(HANDSET, 0, AirVoice(PMID, bytes(80), 0, 1, ciphered=True))
    air.deliver(0.0)
    air.deliver(0.0)
    assert radio.counters.voice_frames_bad == 1


# -- World's ticker -------------------------------------------------------------------------------
class CallingHandset:
    """Stands in for a handset in a ciphered call: what World's voice plane reads of one
    (the DECT call itself is sim.handset's and omm.dect's subject)."""

    def __init__(self, rfp_id: int, key: bytes | None) -> None:
        self.state = State.CONNECTED
        self.rfp_id: int | None = rfp_id
        self.cipher_key = key
        self.link_pmid = PMID
        self.subscriptions: dict[str, Any] = {}

    def receive(self, *args: object) -> None:
        pass

    def air_to_send(self) -> list[object]:
        return []

    def next_event(self) -> None:
        return None

    def get_timer(self) -> None:
        return None

    def lock(self, *args: object) -> None:
        pass

    def connect_to(self, *args: object) -> None:
        pass

    def unlock(self) -> None:
        pass


def place_calling_handset(world: World, hid: int, x: float, rfp_id: int,
                          key: bytes | None) -> CallingHandset:
    handset = CallingHandset(rfp_id, key)
    world.handsets[hid] = HandsetEntry(hid, handset)  # type: ignore[arg-type]
    world.air.add_handset(hid, x, 0)
    world.air.attach_handset(hid, lambda rfp, prim, now: world._receive(hid, rfp, prim, now))
    return handset


class VirtualLoop:
    """The part of an event loop World uses (time, call_soon, call_at), in virtual time:
    run_until fires every callback that falls due, in order, the clock jumping from one to
    the next. The ticker's 10 ms are then exact however busy the machine is."""

    def __init__(self) -> None:
        self.now = 0.0
        self._due: list[tuple[float, int, VirtualCall]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[..., object],
                *args: object) -> VirtualCall:
        call = VirtualCall(callback, args)
        heapq.heappush(self._due, (when, next(self._order), call))
        return call

    def call_soon(self, callback: Callable[..., object], *args: object) -> VirtualCall:
        return self.call_at(self.now, callback, *args)

    def run_until(self, end: float) -> None:
        while self._due and self._due[0][0] <= end:
            when, _, call = heapq.heappop(self._due)
            self.now = max(self.now, when)
            if not call.cancelled:
                call.callback(*call.args)
        self.now = end


@dataclass
class VirtualCall:
    callback: Callable[..., object]
    args: tuple[object, ...]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


def virtual_world() -> tuple[VirtualLoop, World]:
    loop = VirtualLoop()
    return loop, World(loop)  # type: ignore[arg-type]


@pytest.mark.parametrize("handset_key", [DCK, WRONG], ids=["right key", "wrong key"])
def test_world_ticker_carries_voice_both_ways_every_10_ms(handset_key: bytes) -> None:
    loop, world = virtual_world()
    world.air.add_rfp(1, 0, 0)
    radio = active_radio(world.air, 1)
    loop.run_until(0.02)
    place_calling_handset(world, HANDSET, 5, 1, handset_key)
    mcei = ciphered_connection(world.air, radio)
    uplink: list[tuple[int, bytes]] = []
    radio.voice_sink = lambda m, payload, now: uplink.append((world.air.frame_index(now),
                                                              payload))
    radio.on_output = lambda: loop.call_soon(radio.flush, loop.time())
    path = world.voice_start(HANDSET, tone_hz=900)
    assert world.voice_active(HANDSET) and world.voice_path(HANDSET) is path
    gen = ToneGenerator(1300)
    started = loop.time()
    for i in range(40):
        radio.send_voice(mcei, alaw_encode(gen.next_frame()), loop.time())
        radio.flush(loop.time())
        loop.run_until(started + (i + 1) * FRAME_SECONDS)
    world.voice_stop(HANDSET)
    assert not world.voice_active(HANDSET) and world.voice_path(HANDSET) is None
    # one uplink frame in each of the 40 air frames, in order, and every downlink frame heard
    first = world.air.frame_index(started) + 1
    assert [index for index, _ in uplink] == list(range(first, first + 40))
    assert (path.stats.sent, path.stats.received, path.stats.missing, path.stats.late) == (
        40, 40, 0, 0)
    right = handset_key == DCK
    said = alaw_decode(b"".join(p for _, p in uplink))
    assert detect_tone(said, 900).present is right
    assert path.hears_tone(1300, 0.3).present is right
    world.close()


def test_world_sends_no_voice_for_a_handset_not_in_a_call() -> None:
    loop, world = virtual_world()
    world.air.add_rfp(1, 0, 0)
    radio = active_radio(world.air, 1)
    loop.run_until(0.02)
    handset = place_calling_handset(world, HANDSET, 5, 1, None)
    handset.state = State.LOCKED
    ciphered_connection(world.air, radio)
    got: list[bytes] = []
    radio.voice_sink = lambda m, payload, now: got.append(payload)
    world.voice_start(HANDSET, wideband=False)
    loop.run_until(0.12)  # ten ticks of the voice ticker
    assert got == [] and world.voice_path(HANDSET) is not None
    assert world.voice_path(HANDSET).tone_hz == default_tone_hz(HANDSET)  # type: ignore[union-attr]
    world.close()


def test_constants_agree_with_the_media_kit() -> None:
    assert mc.FRAME_MS / 1000 == FRAME_SECONDS


def test_air_ciphers_queued_voice_at_the_next_delivery_as_cipher_voice_would(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.air

    monkeypatch.setattr(sim.air, "VOICE_STREAMS_KEPT", 4)  # smaller than one burst
    air = Air()
    results: list[tuple[int, bytes]] = []
    frames = [(DCK if i % 3 else WRONG, i // 2, i % 16, bytes([i]) * 80, bool(i % 2))
              for i in range(10)]
    for i, (key, mfn, fn, payload, downlink) in enumerate(frames):
        air.cipher_voice_soon(key, mfn, fn, payload, downlink=downlink,
                              done=lambda out, now, i=i: results.append((i, out)))
    assert results == [] and air.pending == 10
    air.deliver(0.0)
    assert results == [(i, cipher_voice(k, m, f, p, downlink=d))
                       for i, (k, m, f, p, d) in enumerate(frames)]


class MovingHandset(CallingHandset):
    """A connected handset that records whether World hands its connection over or only
    locks to the better RFP (taken when the connection ends)."""

    def __init__(self, rfp_id: int, key: bytes | None, call_active: bool) -> None:
        super().__init__(rfp_id, key)
        self.call_active = call_active
        self.moves: list[tuple[str, int]] = []

    def lock(self, rfp_id: int, *args: object) -> None:  # type: ignore[override]
        self.moves.append(("lock", rfp_id))

    def connect_to(self, rfp_id: int, *args: object, **kw: object) -> None:  # type: ignore[override]
        self.moves.append(("handover", rfp_id))


@pytest.mark.parametrize(("key", "call_active", "move"), [
    (DCK, False, "handover"), (None, True, "handover"), (None, False, "lock")],
    ids=["ciphered", "in a call", "setting up its security"])
def test_a_connection_is_handed_over_only_once_secured_or_in_a_call(
        key: bytes | None, call_active: bool, move: str) -> None:
    """A location registration still authenticating finishes at its RFP and the handset locks
    to the better one after it: handed over in the middle, the procedure was lost."""
    loop, world = virtual_world()
    world.air.add_rfp(1, 0, 0)
    world.air.add_rfp(2, 40, 0)
    active_radio(world.air, 1)
    active_radio(world.air, 2)
    loop.run_until(5.0)
    assert world.air.is_synced(1) and world.air.is_synced(2)
    hid = HANDSET
    handset = MovingHandset(1, key, call_active)
    world.handsets[hid] = HandsetEntry(hid, handset)  # type: ignore[arg-type]
    world.air.add_handset(hid, 39, 0)  # next to RFP 2, connected at RFP 1
    world.relock(hid)
    assert handset.moves == [(move, 2)]
