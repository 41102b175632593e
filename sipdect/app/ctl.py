"""`sipdect ctl ...`: the control API from the command line (one JSON answer per call).

It finds the running system, the control API's URL and its token, in the ready file that
`sipdect up` writes: --ready-file PATH, else $SIPDECT_READY_FILE, else data/ready.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sipdect.app import ready
from sipdect.app.watch import line as watch_line

WALK_POLL_S = 0.5
"""How often `ctl walk` asks where its handset is until it arrived."""


@dataclass(frozen=True)
class Target:
    """Where the control API is and the token it wants, from the ready file."""

    url: str
    token: str
    source: Path
    """The ready file they came from (named in errors)."""


def locate(ready_file: Path | None, url: str | None = None) -> Target:
    """The control API of the system whose ready file is `ready_file`, else the one named by
    $SIPDECT_READY_FILE, else the default one; `url` overrides the URL found there."""
    env = os.environ.get(ready.READY_FILE_ENV)
    path = ready_file or (Path(env) if env else ready.default_path())
    try:
        info = ready.read(path)
    except OSError as exc:
        raise SystemExit(f"sipdect ctl: cannot read the ready file {path} ({exc.strerror}); "
                         "is `sipdect up` running? Name its ready file with --ready-file or "
                         f"${ready.READY_FILE_ENV}") from None
    except ValueError:
        raise SystemExit(f"sipdect ctl: {path} is not a sipdect ready file") from None
    control = info.get("control")
    if not isinstance(control, dict) or not control.get("token"):
        raise SystemExit(f"sipdect ctl: the system of {path} runs no control API "
                         "([system] control_port)")
    return Target(url or str(control["url"]), str(control["token"]), path)


def ref(text: str) -> str:
    """A handset or RFP reference as one URL path segment (IPEIs have blanks)."""
    return urllib.parse.quote(text, safe="")


def call(target: Target, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(target.url.rstrip("/") + path, data=data, method=method,
                                 headers={"Content-Type": "application/json",
                                          ready.TOKEN_HEADER: target.token})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as exc:
        try:
            detail = json.load(exc).get("error", exc.reason)
        except (ValueError, AttributeError):
            detail = exc.reason
        if exc.code == 401:
            detail = (f"{detail} (token from {target.source}: is that file from an earlier "
                      "run or another system?)")
        raise SystemExit(f"sipdect ctl: {detail}") from None
    except urllib.error.URLError as exc:
        raise SystemExit(f"sipdect ctl: no control API at {target.url} ({exc.reason}); "
                         f"is the `sipdect up` of {target.source} still running?") from None


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="sipdect ctl", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ready-file", type=Path,
                   help=f"the running system's ready file (default: ${ready.READY_FILE_ENV}, "
                        f"else {ready.default_path()})")
    p.add_argument("--url", help="the control API's URL, if not the one in the ready file")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("state", "health", "handsets", "rfps", "pbx", "hosts"):
        sub.add_parser(name)
    sub.add_parser("license", help="each OMM's licence: type, state, violations, the latency "
                                   "(grace) period left in minutes, what it grants")
    ho = sub.add_parser("host", help="a host's state, or stop / start / kill it")
    ho.add_argument("action", choices=["show", "stop", "start", "kill"])
    ho.add_argument("name", help="the host's name (sipdect ctl hosts)")
    ln = sub.add_parser("link", help="cut or heal the link between two hosts")
    ln.add_argument("action", choices=["cut", "heal"])
    ln.add_argument("a", help="a host's name")
    ln.add_argument("b", help="another host's name")
    w = sub.add_parser("watch", help="print what the machines do, with each event's time "
                                     "since the last fault (host kill, link cut, ...)")
    w.add_argument("--for", dest="seconds", type=float, metavar="SECONDS",
                   help="stop after this long (default: until Ctrl-C)")
    w.add_argument("--kind", action="append", metavar="KIND",
                   help="only events of this kind (host, rfp, handset, call, display, "
                        "registration, omm; faults always show); may be repeated")
    mp = sub.add_parser("map", help="a link that opens the live site map in a browser (once)")
    mp.add_argument("--open", action="store_true", help="open it in the default browser")
    sub.add_parser("reset", help="back to the configured state: users, devices, handsets, "
                                 "RFPs, hosts running, links healed")
    ph = sub.add_parser("phone", help="a SIP phone: show it, call, answer, reject, hang up")
    ph.add_argument("action", choices=["show", "call", "answer", "reject", "hangup"])
    ph.add_argument("name", help="the phone's host name")
    ph.add_argument("number", nargs="?", help="what to call (a number or a sip: URI)")
    a = sub.add_parser("handset-add", help="put a handset on the air")
    a.add_argument("ipei")
    a.add_argument("--x", type=float, default=0.0)
    a.add_argument("--y", type=float, default=0.0)
    a.add_argument("--model", default="622d")
    a.add_argument("--name", default="")
    a.add_argument("--ac", help="authentication code to subscribe with")
    a.add_argument("--no-subscribe", action="store_true")
    a.add_argument("--auto-answer", type=float, metavar="SECONDS",
                   help="answer incoming calls by itself after this many seconds")
    for name in ("handset", "handset-remove", "display"):
        sub.add_parser(name).add_argument("ref", help="handset id or IPEI")
    dial = sub.add_parser("call", help="dial a number (en bloc) on a handset")
    dial.add_argument("ref", help="handset id or IPEI")
    dial.add_argument("number")
    sub.add_parser("answer", help="answer the ringing call").add_argument("ref")
    sub.add_parser("hangup", help="end the call, or reject it while it rings").add_argument("ref")
    aa = sub.add_parser("auto-answer", help="answer incoming calls by themselves, or not")
    aa.add_argument("ref")
    aa.add_argument("seconds", help='delay in seconds, or "off"')
    h = sub.add_parser("hears", help="does the handset hear a tone (Goertzel) in its call?")
    h.add_argument("ref")
    h.add_argument("tone", type=float, help="frequency in Hz")
    h.add_argument("--seconds", type=float, default=0.5, help="of the latest audio")
    m = sub.add_parser("move")
    m.add_argument("ref")
    m.add_argument("x", type=float)
    m.add_argument("y", type=float)
    wk = sub.add_parser("walk", help="walk a handset to X Y along a straight line; returns "
                                     "when it is there")
    wk.add_argument("ref", help="handset id or IPEI")
    wk.add_argument("x", type=float)
    wk.add_argument("y", type=float)
    wk.add_argument("--speed", type=float,
                    help="metres per second (default: a person walking, 1.4)")
    wk.add_argument("--no-wait", action="store_true", help="return as it sets off")
    al = sub.add_parser("alarm", help="raise a handset alarm: the SOS key, or the alarm "
                                      "sensor where the model has one (630d, 632d)")
    al.add_argument("ref", help="handset id or IPEI")
    al.add_argument("kind", nargs="?", default="sos", choices=["sos", "man-down", "no-movement"])
    k = sub.add_parser("keys", help='press keys, e.g. "1234{CALL}" or "{OK}"')
    k.add_argument("ref")
    k.add_argument("keys")
    s = sub.add_parser("subscribe")
    s.add_argument("ref")
    s.add_argument("--ac")
    hp = sub.add_parser("handset-power")
    hp.add_argument("ref")
    hp.add_argument("state", choices=["on", "off"])
    r = sub.add_parser("rfp-add")
    r.add_argument("mac")
    r.add_argument("--x", type=float, default=0.0)
    r.add_argument("--y", type=float, default=0.0)
    r.add_argument("--cluster", type=int, default=1)
    r.add_argument("--name", default="")
    sub.add_parser("rfp-remove").add_argument("id", help="RFP id, host name, MAC or OMM:id")
    rs = sub.add_parser("rfp-stats", help="an RFP's statistics (the OMM's 28 counters), or "
                                          "every RFP's")
    rs.add_argument("id", nargs="?", help="RFP id, host name, MAC or OMM:id (default: all)")
    rs.add_argument("--set", type=int, default=0, choices=[0, 1, 2],
                    help="record set: 0 this week (default), 1 and 2 the weeks before")
    rp = sub.add_parser("rfp-power")
    rp.add_argument("id", help="RFP id, host name, MAC or OMM:id")
    rp.add_argument("state", choices=["on", "off"])
    es = sub.add_parser("espa", help="play the nurse-call system: an ESPA 4.4.4 call to the "
                                     "Event Manager, then poll for the statuses it has")
    es.add_argument("text", nargs="?", default="", help="the display message (record 2)")
    es.add_argument("--address", help="the call address (record 1), e.g. 201")
    es.add_argument("--priority", type=int, default=3, choices=[1, 2, 3],
                    help="record 6: 1 alarm, 2 high, 3 normal (default)")
    es.add_argument("--beep", type=int, help="record 3: beep coding 1-9 (the melody)")
    es.add_argument("--poll", action="store_true", help="only poll for statuses")
    es.add_argument("--eventmgr", help="which Event Manager (default: the first)")
    args = p.parse_args(argv)
    u = locate(args.ready_file, args.url)
    c = args.cmd
    if c == "watch":
        return _watch(u, args.seconds, set(args.kind or ()))
    if c in ("state", "health", "handsets", "rfps", "pbx", "hosts", "license"):
        out = call(u, "GET", f"/_emu/{c}")
    elif c == "host":
        path = f"/_emu/hosts/{ref(args.name)}"
        out = (call(u, "GET", path) if args.action == "show"
               else call(u, "POST", f"{path}/{args.action}", {}))
    elif c == "map":
        out = call(u, "POST", "/_emu/map/code", {})
        if args.open:
            import webbrowser

            webbrowser.open(out["url"])
        print(out["url"])
        return 0
    elif c == "reset":
        out = call(u, "POST", "/_emu/reset", {})
    elif c == "espa":
        target = {"eventmgr": args.eventmgr} if args.eventmgr else {}
        if args.poll:
            out = call(u, "POST", "/_emu/espa/poll", target)
        elif not args.address:
            raise SystemExit('sipdect ctl espa: give --address 201 "text" (or --poll)')
        else:
            out = call(u, "POST", "/_emu/espa", {**target, "address": args.address,
                                                 "text": args.text, "priority": args.priority,
                                                 "beep": args.beep})
    elif c == "link":
        out = call(u, "POST", f"/_emu/links/{args.action}", {"a": args.a, "b": args.b})
    elif c == "phone":
        path = f"/_emu/phones/{ref(args.name)}"
        if args.action == "show":
            out = call(u, "GET", path)
        elif args.action == "call":
            if not args.number:
                raise SystemExit("sipdect ctl: phone call NAME NUMBER: give what to call")
            out = call(u, "POST", f"{path}/call", {"number": args.number})
        else:
            out = call(u, "POST", f"{path}/{args.action}", {})
    elif c == "handset-add":
        out = call(u, "POST", "/_emu/handsets", {
            "ipei": args.ipei, "x": args.x, "y": args.y, "model": args.model,
            "name": args.name, "ac": args.ac, "subscribe": not args.no_subscribe,
            "auto_answer": args.auto_answer})
    elif c == "handset":
        out = call(u, "GET", f"/_emu/handsets/{ref(args.ref)}")
    elif c == "handset-remove":
        out = call(u, "DELETE", f"/_emu/handsets/{ref(args.ref)}")
    elif c == "call":
        out = call(u, "POST", f"/_emu/handsets/{ref(args.ref)}/call", {"number": args.number})
    elif c in ("answer", "hangup"):
        out = call(u, "POST", f"/_emu/handsets/{ref(args.ref)}/{c}", {})
    elif c == "auto-answer":
        try:
            seconds = None if args.seconds == "off" else float(args.seconds)
        except ValueError:
            raise SystemExit(f'sipdect ctl: auto-answer takes seconds or "off", '
                             f"not {args.seconds!r}") from None
        out = call(u, "PATCH", f"/_emu/handsets/{ref(args.ref)}", {"auto_answer": seconds})
    elif c == "display":
        out = call(u, "GET", f"/_emu/handsets/{ref(args.ref)}/display")
    elif c == "hears":
        query = urllib.parse.urlencode({"tone": args.tone, "seconds": args.seconds})
        out = call(u, "GET", f"/_emu/handsets/{ref(args.ref)}/hears?{query}")
    elif c == "move":
        out = call(u, "POST", f"/_emu/handsets/{ref(args.ref)}/move", {"x": args.x, "y": args.y})
    elif c == "walk":
        out = _walk(u, args.ref, args.x, args.y, args.speed, wait=not args.no_wait)
    elif c == "keys":
        out = call(u, "POST", f"/_emu/handsets/{ref(args.ref)}/keys", {"keys": args.keys})
    elif c == "alarm":
        out = call(u, "POST", f"/_emu/handsets/{ref(args.ref)}/alarm", {"kind": args.kind})
    elif c == "subscribe":
        out = call(u, "POST", f"/_emu/handsets/{ref(args.ref)}/subscribe", {"ac": args.ac})
    elif c == "handset-power":
        out = call(u, "POST", f"/_emu/handsets/{ref(args.ref)}/power", {"on": args.state == "on"})
    elif c == "rfp-add":
        out = call(u, "POST", "/_emu/rfps", {"mac": args.mac, "x": args.x, "y": args.y,
                                            "cluster": args.cluster, "name": args.name})
    elif c == "rfp-stats":
        ids = [args.id] if args.id else [str(r["host"]) for r in call(u, "GET", "/_emu/rfps")]
        out = [call(u, "GET", f"/_emu/rfps/{ref(i)}/stats?set={args.set}") for i in ids]
        out = out[0] if args.id else out
    elif c == "rfp-remove":
        out = call(u, "DELETE", f"/_emu/rfps/{ref(args.id)}")
    else:
        out = call(u, "POST", f"/_emu/rfps/{ref(args.id)}/power", {"on": args.state == "on"})
    print(json.dumps(out, indent=2))
    return 0


def _walk(target: Target, handset: str, x: float, y: float, speed: float | None, *,
          wait: bool) -> Any:
    """Set the handset off (at the control API's default speed when `speed` is None); with
    `wait`, follow it until it is there (or stopped: another walk or move) and answer its
    state then."""
    path = f"/_emu/handsets/{ref(handset)}"
    body: dict[str, Any] = {"x": x, "y": y}
    if speed is not None:
        body["speed"] = speed
    out = call(target, "POST", f"{path}/walk", body)
    while wait and out.get("walk") is not None:
        time.sleep(min(WALK_POLL_S, max(0.01, float(out["walk"]["seconds_left"]))))
        out = call(target, "GET", path)
    return out


def _watch(target: Target, seconds: float | None, kinds: set[str]) -> int:
    """Print the timeline as it grows (GET /_emu/watch, long-polled) until `seconds` passed
    or Ctrl-C; with `kinds`, only events of those kinds and the faults."""
    end = None if seconds is None else time.monotonic() + seconds
    last = int(call(target, "GET", "/_emu/watch?after=0&wait=0")["last"])
    print("watching (times are since the last fault; Ctrl-C ends)", flush=True)
    try:
        while end is None or time.monotonic() < end:
            wait = 10.0 if end is None else max(0.0, min(10.0, end - time.monotonic()))
            out = call(target, "GET", f"/_emu/watch?after={last}&wait={wait:.2f}")
            for event in out["events"]:
                if not kinds or event.get("fault") or event.get("kind") in kinds:
                    print(watch_line(event), flush=True)
            last = int(out["last"])
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
