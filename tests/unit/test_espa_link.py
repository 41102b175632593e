"""The ESPA 4.4.4 link procedure of both ends, fed bytes and `now` (sipdect.espa.link)."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from sipdect.espa import conventions as c
from sipdect.espa.codec import bcc, call, encode, status_information
from sipdect.espa.link import (
    ControlEquipment,
    Delivered,
    GaveUp,
    LinkTimeout,
    PagingSystem,
    Received,
    Refused,
    State,
)

ALARM = call("201", "Room 12 call", priority=c.Priority.ALARM)


def pump(master: ControlEquipment, slave: PagingSystem, now: float,
         wire: Callable[[bytes], bytes] = lambda b: b) -> list[bytes]:
    """Carry bytes both ways until both are quiet; what the master sent, turn by turn."""
    sent = []
    for _ in range(50):
        down, up = master.output(), slave.output()
        if not down and not up:
            return sent
        if down:
            sent.append(down)
            slave.receive(wire(down), now)
        if up:
            master.receive(up, now)
    raise AssertionError("the link never went quiet")


def test_a_call_is_selected_sent_acked_and_ended() -> None:
    master, slave = ControlEquipment(0.0), PagingSystem(0.0)
    master.send(ALARM, 0.0)
    sent = pump(master, slave, 0.0)
    assert sent == [b"1\x052\x05", encode(ALARM), b"\x04"]
    assert master.events() == [Delivered(ALARM)]
    assert slave.events() == [Received(ALARM)]
    assert master.state is slave.state is State.IDLE


def test_blocks_queued_meanwhile_go_in_one_transaction() -> None:
    master, slave = ControlEquipment(0.0), PagingSystem(0.0)
    second = call("202", "Room 14")
    master.send(ALARM, 0.0)
    master.send(second, 0.0)
    sent = pump(master, slave, 0.0)
    assert sent == [b"1\x052\x05", encode(ALARM), encode(second), b"\x04"]
    assert [e.block for e in slave.events() if isinstance(e, Received)] == [ALARM, second]


def test_a_bad_bcc_is_answered_1_nak_and_the_block_sent_again() -> None:
    master, slave = ControlEquipment(0.0), PagingSystem(0.0)
    spoiled = {"left": 1}

    def wire(data: bytes) -> bytes:
        if data[:1] == b"\x01" and spoiled["left"]:
            spoiled["left"] -= 1
            return data[:-1] + bytes([data[-1] ^ 0xFF])
        return data

    master.send(ALARM, 0.0)
    slave_said = []
    for _ in range(10):
        down = master.output()
        if down:
            slave.receive(wire(down), 0.0)
        up = slave.output()
        slave_said.append(up)
        if up:
            master.receive(up, 0.0)
    assert b"1\x15" in slave_said  # the transmission error digit, then NAK
    assert master.events() == [Delivered(ALARM)]
    events = slave.events()
    assert isinstance(events[0], Refused) and events[1:] == [Received(ALARM)]


def test_a_silent_paging_system_makes_the_master_retry_then_give_up() -> None:
    master = ControlEquipment(0.0)
    master.send(ALARM, 0.0)
    selects = [master.output()]
    now = 0.0
    while master.state is not State.IDLE:
        deadline = master.deadline()
        assert deadline is not None
        now = deadline
        master.on_time(now)
        selects.append(master.output())
    assert selects[:-1] == [b"1\x052\x05"] * (1 + c.RETRIES)
    assert selects[-1] == b"\x04"
    assert master.events() == [GaveUp(ALARM, "select: no answer")]
    assert now == (1 + c.RETRIES) * c.ANSWER_WAIT_S


def test_a_block_never_acked_is_given_up_after_its_retries() -> None:
    master = ControlEquipment(0.0)
    master.send(ALARM, 0.0)
    master.output()
    master.receive(b"\x06", 0.0)  # the select is ACKed
    blocks = [master.output()]
    now = 0.0
    for _ in range(c.RETRIES):
        now += c.ANSWER_WAIT_S
        master.on_time(now)
        blocks.append(master.output())
    assert blocks == [encode(ALARM)] * (1 + c.RETRIES)
    master.on_time(now + c.ANSWER_WAIT_S)
    assert master.output() == b"\x04"
    assert master.events() == [GaveUp(ALARM, "no answer")]


def test_a_poll_collects_the_status_the_paging_system_holds() -> None:
    master, slave = ControlEquipment(0.0), PagingSystem(0.0)
    master.poll(0.0)
    assert pump(master, slave, 0.0) == [b"2\x05"]  # nothing to say: EOT
    assert master.state is State.IDLE and master.events() == []
    done = status_information("201", "1", "confirmed by Alice")
    slave.queue(done)
    master.poll(1.0)
    pump(master, slave, 1.0)
    assert master.events() == [Received(done)]
    assert slave.events() == [Delivered(done)] and slave.queued == 0


def test_a_poll_asked_during_a_transfer_goes_after_it() -> None:
    master, slave = ControlEquipment(0.0), PagingSystem(0.0)
    done = status_information("201", "1")
    slave.queue(done)
    master.send(ALARM, 0.0)
    master.poll(0.0)
    sent = pump(master, slave, 0.0)
    assert sent[:3] == [b"1\x052\x05", encode(ALARM), b"\x04" + b"2\x05"]  # EOT, then poll
    assert Received(done) in master.events()


def test_a_select_of_another_station_keeps_the_paging_system_quiet_until_eot() -> None:
    slave = PagingSystem(0.0)
    slave.receive(b"1\x053\x05" + encode(ALARM), 0.0)
    assert slave.output() == b"" and slave.state is State.PASSIVE
    slave.receive(b"\x04", 0.1)
    slave.receive(b"1\x052\x05", 0.2)
    assert slave.output() == b"\x06" and slave.state is State.RECEIVING


def test_lenient_reception_a_bare_enq_and_a_block_without_select_are_taken() -> None:
    slave = PagingSystem(0.0)
    slave.receive(b"\x05", 0.0)
    assert slave.output() == b"\x06"
    other = PagingSystem(0.0)
    other.receive(encode(ALARM), 0.0)
    assert other.output() == b"\x06" and other.events() == [Received(ALARM)]


def test_a_late_second_enq_is_a_poll_not_a_select() -> None:
    slave = PagingSystem(0.0)
    slave.receive(b"1\x05", 0.0)
    slave.receive(b"2\x05", c.SELECT_WINDOW_S + 0.1)
    assert slave.output() == b"\x04"


def test_a_selected_paging_system_waits_for_its_block_then_goes_idle() -> None:
    slave = PagingSystem(0.0)
    slave.receive(b"1\x052\x05", 0.0)
    assert slave.output() == b"\x06" and slave.deadline() == c.BLOCK_WAIT_S
    slave.on_time(c.BLOCK_WAIT_S)
    assert slave.state is State.IDLE


def test_a_silent_link_is_reported_once_per_silence() -> None:
    slave = PagingSystem(0.0)
    assert slave.deadline() == c.LINK_IDLE_S
    slave.on_time(c.LINK_IDLE_S)
    assert slave.events() == [LinkTimeout()]
    slave.on_time(c.LINK_IDLE_S * 2)
    assert slave.events() == [] and slave.deadline() is None
    slave.receive(b"1\x05", 300.0)
    assert slave.deadline() == 300.0 + c.LINK_IDLE_S  # heard again: a new silence counts


def test_a_malformed_block_with_a_right_bcc_is_answered_plain_nak() -> None:
    slave = PagingSystem(0.0)
    body = b"1\x02x\x1f2\x03"
    slave.receive(b"1\x052\x05", 0.0)
    slave.output()
    slave.receive(b"\x01" + body + bytes([bcc(body)]), 0.0)
    assert slave.output() == b"\x15"
    assert isinstance(slave.events()[0], Refused)


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=40), max_size=20),
       st.lists(st.floats(0, 200, allow_nan=False), max_size=20))
def test_any_bytes_at_any_time_never_crash_either_end(chunks: list[bytes],
                                                      times: list[float]) -> None:
    slave, master = PagingSystem(0.0), ControlEquipment(0.0)
    slave.queue(status_information("1", "1"))
    master.send(ALARM, 0.0)
    now = 0.0
    for i, chunk in enumerate(chunks):
        now += times[i] if i < len(times) else 0.5
        for end in (slave, master):
            end.receive(chunk, now)
            end.on_time(now)
            end.output()
            end.events()


@given(st.lists(st.booleans(), max_size=12))
def test_a_lossy_wire_ends_in_delivered_or_given_up_never_both(losses: list[bool]) -> None:
    master, slave = ControlEquipment(0.0), PagingSystem(0.0)
    master.send(ALARM, 0.0)
    drops = iter(losses)
    now = 0.0
    outcomes = []
    for _ in range(200):
        down = master.output()
        if down and not next(drops, False):
            slave.receive(down, now)
        up = slave.output()
        if up:
            master.receive(up, now)
        outcomes += [e for e in master.events() if isinstance(e, Delivered | GaveUp)]
        if master.state is State.IDLE and not master.output():
            break
        deadline = master.deadline()
        if not down and not up and deadline is not None:
            now = deadline
            master.on_time(now)
            slave.on_time(now)
    assert len(outcomes) == 1
    received = [e for e in slave.events() if isinstance(e, Received)]
    if isinstance(outcomes[0], Delivered):
        assert received  # the paging system had it (perhaps twice: ESPA has no sequence)
