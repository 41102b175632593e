"""Scenario files (TOML) to the scenario model, checked key by key (docs/scenarios.md).

Pure: text in, model.Scenario out. Every mistake is a ScenarioError naming the file, the
step and the key, and saying what to write instead.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.handset import ALARMS
from sipdect.app.scenario.model import (
    DEFAULT_GROUP,
    Action,
    Expectation,
    Scenario,
    Step,
    parse_duration,
)

WALK_SPEED_M_S = 1.4
"""A walk's speed when the step gives none: a person walking (sim.world's default too)."""
MAX_WALK_SPEED_M_S = 100.0
"""As the control API: anything faster is a typo."""
MAX_SPEED = 1000.0
"""The fastest a scenario may run (the scalable clock's factor)."""

SCENARIO_KEYS = frozenset({"name", "description", "speed", "voice", "system"})
STEP_KEYS = frozenset({"name", "group", "at", "expect", "within", "never", "for"})
ACTION_SUBJECTS = ("handset", "rfp", "host", "phone", "axi", "cut", "heal", "wait")
"""The keys that make a step an action; a step has at most one of them."""

#: Per subject: verb -> the extra keys that verb accepts beside it.
VERBS: dict[str, dict[str, frozenset[str]]] = {
    "handset": {"add": frozenset(), "subscribe": frozenset(), "move": frozenset(),
                "walk": frozenset({"speed", "background"}), "power": frozenset(),
                "keys": frozenset(), "call": frozenset(), "answer": frozenset(),
                "hangup": frozenset(), "alarm": frozenset()},
    "rfp": {"power": frozenset()},
    "host": {"kill": frozenset(), "stop": frozenset(), "start": frozenset()},
    "phone": {"register": frozenset(), "call": frozenset(), "answer": frozenset(),
              "hangup": frozenset()},
}
AXI_KEYS = frozenset({"attrs", "omm", "account", "answer"})
"""What an `axi = ...` step may give beside the request."""
ADD_KEYS = frozenset({"ipei", "omm", "model", "x", "y", "ac", "subscribe"})

EXPECT_SUBJECTS = ("handset", "rfp", "host", "registration", "phone", "axi_event",
                   "event_log", "event")
"""What an expectation can look at; the table's first key is one of these."""
AXI_SUBJECTS = frozenset({"axi_event", "event_log"})
"""Expectations read over AXI: they may name the `omm` and the `account`."""



class ScenarioError(ValueError):
    """A scenario file cannot be run; the message names the file, the step and the key."""


class _Where:
    """The place a message points at: file, step, key."""

    def __init__(self, path: Path, step: int | None = None) -> None:
        self.path = path
        self.step = step

    def error(self, key: str | None, why: str) -> ScenarioError:
        place = str(self.path)
        if self.step is not None:
            place += f": step {self.step}"
        if key is not None:
            place += f": {key}"
        return ScenarioError(f"{place}: {why}")


def load_scenario(path: Path) -> Scenario:
    """The scenario in `path`; ScenarioError if it cannot be read or is not one."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text") from None
    return parse_scenario(text, path)


def scenario_files(paths: list[Path]) -> list[Path]:
    """The files named, a folder standing for its *.toml files (sorted by name)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.glob("*.toml") if p.is_file())
            if not inside:
                raise ScenarioError(f"{path}: the folder has no *.toml scenario")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            raise ScenarioError(f"{path}: no such file or folder")
    return found


def parse_scenario(text: str, path: Path) -> Scenario:
    where = _Where(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise where.error(None, f"not valid TOML: {exc}") from None
    unknown = set(raw) - {"scenario", "system", "step"}
    if unknown:
        raise where.error(", ".join(sorted(unknown)),
                          "unknown table: a scenario has [scenario], [system] and [[step]]")
    head = raw.get("scenario")
    if not isinstance(head, dict):
        raise where.error("[scenario]", "missing: give at least [scenario] name = \"...\"")
    _only(head, SCENARIO_KEYS, where, "[scenario]")
    scenario = Scenario(path=path, name=_str(head, "name", where, "[scenario]", path.stem),
                        description=_str(head, "description", where, "[scenario]", ""))
    speed = head.get("speed", 1)
    if isinstance(speed, bool) or not isinstance(speed, int | float) or \
            not 0 < speed <= MAX_SPEED:
        raise where.error("[scenario] speed", f"{speed!r}: give a number above 0 and at most "
                          f"{MAX_SPEED:g} (1 = real time)")
    scenario.speed = float(speed)
    voice = head.get("voice", False)
    if not isinstance(voice, bool):
        raise where.error("[scenario] voice", f"{voice!r}: give true or false")
    scenario.voice = voice
    if voice and scenario.speed != 1:
        raise where.error("[scenario] voice", f"a scenario that listens to voice runs at "
                          f"speed 1 only, not {scenario.speed:g}: the voice path is real time")
    system_ref = head.get("system")
    inline = raw.get("system")
    if system_ref is not None and inline is not None:
        raise where.error("[scenario] system", "give the system either as a file here or "
                          "inline as [system], not both")
    if system_ref is not None:
        if not isinstance(system_ref, str) or not system_ref:
            raise where.error("[scenario] system", f"{system_ref!r}: give the config file's "
                              "path (relative to this scenario)")
        scenario.system_path = (path.parent / system_ref).resolve()
    elif inline is not None:
        if not isinstance(inline, dict):
            raise where.error("[system]", "must be a table (the system config inline)")
        scenario.system_inline = inline_config(inline)
    steps = raw.get("step", [])
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise where.error("step", "write the steps as [[step]] tables")
    if not steps:
        raise where.error("[[step]]", "the scenario has no step")
    group = DEFAULT_GROUP
    last_at = 0.0
    for index, table in enumerate(steps, start=1):
        step = _step(table, index, group, _Where(path, index))
        if step.at is not None:
            if step.at < last_at:
                raise _Where(path, index).error("at", f"{table['at']!r} is before an earlier "
                                                "step's `at`: keep the times in order")
            last_at = step.at
        group = step.group
        scenario.steps.append(step)
    return scenario


#: Tables of a config file's top level; the other keys of an inline [system] are its [system].
CONFIG_TABLES = ("omm", "rfp", "handset", "pbx", "user", "phone", "mom")


def inline_config(inline: dict[str, Any]) -> dict[str, Any]:
    """A scenario's inline [system] as a config file's top level: [[system.omm]] becomes
    [[omm]] and so on; its plain keys (name, addresses, ...) are the config's [system]."""
    top: dict[str, Any] = {k: v for k, v in inline.items() if k in CONFIG_TABLES}
    plain = {k: v for k, v in inline.items() if k not in CONFIG_TABLES}
    if plain:
        top["system"] = plain
    return top


def _step(table: dict[str, Any], index: int, group: str, where: _Where) -> Step:
    subjects = [k for k in ACTION_SUBJECTS if k in table]
    if len(subjects) > 1:
        raise where.error(", ".join(subjects), "one action per step: split it into steps")
    action = _action(subjects[0], table, where) if subjects else None
    allowed = set(STEP_KEYS)
    if action is not None:
        allowed |= _action_keys(subjects[0], table)
    _only(table, frozenset(allowed), where, None)
    new_group = table.get("group", group)
    if "group" in table and (not isinstance(new_group, str) or not new_group):
        raise where.error("group", f"{new_group!r}: give the group's name as text")
    at = _duration(table, "at", where) if "at" in table else None
    expect = _expectation(table["expect"], where, "expect") if "expect" in table else None
    never = _expectation(table["never"], where, "never") if "never" in table else None
    if expect is not None and never is not None:
        raise where.error("never", "a step has `expect` or `never`, not both: split it")
    if "within" in table and expect is None and not (action and "answer" in action.args):
        raise where.error("within", "`within` is the deadline of this step's `expect` (or "
                          "of an axi answer): give an expect")
    if never is not None and "for" not in table:
        raise where.error("never", "say how long it must not happen: for = \"10s\"")
    if "for" in table and never is None:
        raise where.error("for", "`for` is the window of a `never = {...}`: give one")
    within = _duration(table, "within", where) if "within" in table else None
    window = _duration(table, "for", where) if "for" in table else 0.0
    if action is None and expect is None and never is None:
        raise where.error(None, "the step does nothing: give an action (handset, rfp, host, "
                          "phone, axi, cut, heal, wait), an expect or a never")
    name = table.get("name", "")
    if not isinstance(name, str):
        raise where.error("name", f"{name!r}: give the step's title as text")
    return Step(index=index, group=new_group, action=action, at=at, expect=expect,
                within=within, never=never, window=window, name=name)


def _action_keys(subject: str, table: dict[str, Any]) -> set[str]:
    """The keys the step's action uses (checked by _action)."""
    keys = {subject}
    if subject in VERBS:
        for verb, extra in VERBS[subject].items():
            if verb in table:
                keys |= {verb, *extra}
    elif subject == "axi":
        keys |= AXI_KEYS
    return keys


def _action(subject: str, table: dict[str, Any], where: _Where) -> Action:
    value = table[subject]
    if subject == "wait":
        return Action("wait", "", "wait", {"seconds": _duration(table, "wait", where)})
    if subject in ("cut", "heal"):
        if not (isinstance(value, list) and len(value) == 2
                and all(isinstance(v, str) and v for v in value)):
            raise where.error(subject, f"{value!r}: name the two hosts, e.g. "
                              f"{subject} = [\"OMM-A\", \"OMM-B\"]")
        return Action("link", "", subject, {"a": value[0], "b": value[1]})
    if subject == "axi":
        return _axi_action(table, where)
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
        raise where.error(subject, f"{value!r}: name the {subject} (its name, or as the docs "
                          "say)")
    verbs = [v for v in VERBS[subject] if v in table]
    if len(verbs) != 1:
        known = ", ".join(VERBS[subject])
        strange = sorted(set(table) - STEP_KEYS - {subject})
        if not verbs and strange:
            raise where.error(strange[0], f"unknown key: a {subject} does one of {known}")
        raise where.error(subject, f"say what the {subject} does: one of {known}"
                          if not verbs else f"one action per step, not {', '.join(verbs)}")
    verb = verbs[0]
    args = _VERB_ARGS.get((subject, verb), _true)(table, verb, where)
    return Action(subject, str(value), verb, args)


def _true(table: dict[str, Any], verb: str, where: _Where) -> dict[str, Any]:
    """A verb without an argument is written `verb = true`."""
    if table[verb] is not True:
        raise where.error(verb, f"{table[verb]!r}: write {verb} = true")
    return {}


def _on_off(table: dict[str, Any], verb: str, where: _Where) -> dict[str, Any]:
    if not isinstance(table[verb], bool):
        raise where.error(verb, f"{table[verb]!r}: write {verb} = true (on) or false (off)")
    return {"on": table[verb]}


def _number_arg(table: dict[str, Any], verb: str, where: _Where) -> dict[str, Any]:
    value = table[verb]
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
        raise where.error(verb, f"{value!r}: give the number to dial, e.g. \"202\"")
    return {"number": str(value)}


def _keys_arg(table: dict[str, Any], verb: str, where: _Where) -> dict[str, Any]:
    if not isinstance(table[verb], str) or not table[verb]:
        raise where.error(verb, f"{table[verb]!r}: give the keys as text, e.g. \"*123#\"")
    return {"keys": table[verb]}


def _point(value: Any, where: _Where, key: str) -> tuple[float, float]:
    if not (isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        raise where.error(key, f"{value!r}: give a point as [x, y] in metres")
    return float(value[0]), float(value[1])


def _move_arg(table: dict[str, Any], verb: str, where: _Where) -> dict[str, Any]:
    x, y = _point(table[verb], where, verb)
    return {"x": x, "y": y}


def _walk_arg(table: dict[str, Any], verb: str, where: _Where) -> dict[str, Any]:
    value = table[verb]
    if isinstance(value, list) and value and all(isinstance(p, list) for p in value):
        path = [_point(p, where, verb) for p in value]
    else:
        path = [_point(value, where, verb)]
    speed = table.get("speed", WALK_SPEED_M_S)
    if isinstance(speed, bool) or not isinstance(speed, int | float) or \
            not 0 < speed <= MAX_WALK_SPEED_M_S:
        raise where.error("speed", f"{speed!r}: give metres per second, above 0 and at most "
                          f"{MAX_WALK_SPEED_M_S:g} (a person walks 1.4)")
    background = table.get("background", False)
    if not isinstance(background, bool):
        raise where.error("background", f"{background!r}: true (the walk goes on while the "
                          "next steps run) or false (the step ends on arrival)")
    return {"path": path, "speed": float(speed), "wait": not background}


def _subscribe_arg(table: dict[str, Any], verb: str, where: _Where) -> dict[str, Any]:
    value = table[verb]
    if value is True:
        return {}
    if isinstance(value, str) and value:
        return {"ac": value}
    raise where.error(verb, f"{value!r}: write subscribe = true (the system's AC) or the "
                      "authentication code, e.g. subscribe = \"31415\"")


def _add_arg(table: dict[str, Any], verb: str, where: _Where) -> dict[str, Any]:
    value = table[verb]
    if not isinstance(value, dict) or "ipei" not in value:
        raise where.error(verb, "give the new handset as a table with its ipei, e.g. add = "
                          "{ ipei = \"00077 0010009 4\", x = 2, y = 0 }")
    _only(value, ADD_KEYS, where, verb)
    args: dict[str, Any] = {}
    for key in ("ipei", "omm", "model", "ac"):
        if key in value:
            if not isinstance(value[key], str) or not value[key]:
                raise where.error(f"{verb}.{key}", f"{value[key]!r}: give it as text")
            args[key] = value[key]
    for key in ("x", "y"):
        if key in value:
            v = value[key]
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise where.error(f"{verb}.{key}", f"{v!r}: give metres as a number")
            args[key] = float(v)
    if "subscribe" in value:
        if not isinstance(value["subscribe"], bool):
            raise where.error(f"{verb}.subscribe", "true or false")
        args["subscribe"] = value["subscribe"]
    return args


def _alarm(table: dict[str, Any], verb: str, where: _Where) -> dict[str, Any]:
    """`alarm = "sos"` (or "man-down", "no-movement"): sim.handset.ALARMS."""
    value = table[verb]
    if value not in ALARMS:
        raise where.error(verb, f"{value!r}: give the alarm, one of {', '.join(ALARMS)}")
    return {"kind": value}


_VERB_ARGS: dict[tuple[str, str], Callable[[dict[str, Any], str, _Where], dict[str, Any]]] = {
    ("handset", "add"): _add_arg, ("handset", "subscribe"): _subscribe_arg,
    ("handset", "move"): _move_arg, ("handset", "walk"): _walk_arg,
    ("handset", "power"): _on_off, ("handset", "keys"): _keys_arg,
    ("handset", "call"): _number_arg, ("handset", "alarm"): _alarm,
    ("rfp", "power"): _on_off, ("phone", "call"): _number_arg,
}


def _axi_action(table: dict[str, Any], where: _Where) -> Action:
    value = table["axi"]
    if not isinstance(value, str) or not value.strip():
        raise where.error("axi", f"{value!r}: give the request's name (e.g. \"GetPPState\") "
                          "or its XML (e.g. \"<GetPPState ppn='1'/>\")")
    args: dict[str, Any] = {}
    if value.lstrip().startswith("<"):
        args["xml"] = value.strip()
        if "attrs" in table:
            raise where.error("attrs", "raw XML carries its own attributes: drop attrs")
    else:
        if not value.isidentifier():
            raise where.error("axi", f"{value!r} is no AXI request name")
        attrs = table.get("attrs", {})
        if not isinstance(attrs, dict) or not all(
                isinstance(v, str | int | float) and not isinstance(v, bool)
                for v in attrs.values()):
            raise where.error("attrs", "give the request's attributes as a table of texts or "
                              "numbers, e.g. attrs = { ppn = 1 }")
        args["request"] = value
        args["attrs"] = {k: str(v) for k, v in attrs.items()}
    for key in ("omm", "account"):
        if key in table:
            if not isinstance(table[key], str) or not table[key]:
                raise where.error(key, f"{table[key]!r}: give the name as text")
            args[key] = table[key]
    if "answer" in table:
        answer = table["answer"]
        if not isinstance(answer, dict):
            raise where.error("answer", "give the expected answer's attributes as a table, "
                              "e.g. answer = { callState = \"connected\" }")
        args["answer"] = answer
    return Action("axi", args.get("omm", ""), "request", args)


def _expectation(value: Any, where: _Where, key: str) -> Expectation:
    if not isinstance(value, dict):
        raise where.error(key, f"write {key} = {{ handset = \"Bob\", call_state = "
                          "\"incoming\" }} or another table naming what to look at")
    # The first key names what to look at, so a handset's `rfp = ...` is an attribute.
    subject = next(iter(value), "")
    if subject not in EXPECT_SUBJECTS:
        raise where.error(key, "begin the table with what to look at: one of "
                          + ", ".join(EXPECT_SUBJECTS) + (f" (not {subject!r})" if subject
                                                          else ""))
    target = value[subject]
    if subject == "event_log":
        if not isinstance(target, str):
            raise where.error(f"{key}.event_log", f"{target!r}: give text the entry's message "
                              "contains (\"\" for any)")
    elif isinstance(target, bool) or not isinstance(target, str | int) or str(target) == "":
        raise where.error(f"{key}.{subject}", f"{target!r}: name the {subject}")
    attrs = {k: v for k, v in value.items() if k != subject}
    omm = account = ""
    if subject in AXI_SUBJECTS:
        omm = attrs.pop("omm", "")
        account = attrs.pop("account", "")
        for name, given in (("omm", omm), ("account", account)):
            if not isinstance(given, str):
                raise where.error(f"{key}.{name}", f"{given!r}: give the name as text")
    for attr, expected in attrs.items():
        _check_expected(expected, where, f"{key}.{attr}")
    if subject == "handset" and "hears" in attrs:
        hz = attrs["hears"]
        if not (isinstance(hz, str) and hz or isinstance(hz, int | float)
                and not isinstance(hz, bool) and 0 < hz < 8000):
            raise where.error(f"{key}.hears", f"{hz!r}: give a tone in Hz (0 to 8000) or the "
                              "handset whose tone it is")
    if not attrs and subject not in ("event_log", "axi_event", "event"):
        raise where.error(key, f"say what the {subject} must show, e.g. a state")
    return Expectation(subject, str(target), attrs, omm, account)


def _check_expected(value: Any, where: _Where, key: str) -> None:
    if isinstance(value, dict):
        for sub, inner in value.items():
            _check_expected(inner, where, f"{key}.{sub}")
    elif not isinstance(value, str | int | float | bool):
        raise where.error(key, f"{value!r}: expect text, a number, true/false or a table")


def _only(table: dict[str, Any], known: frozenset[str] | set[str], where: _Where,
          prefix: str | None) -> None:
    unknown = sorted(set(table) - set(known))
    if unknown:
        key = unknown[0] if prefix is None else f"{prefix} {unknown[0]}"
        raise where.error(key, f"unknown key; known here: {', '.join(sorted(known))}")


def _str(table: dict[str, Any], key: str, where: _Where, section: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise where.error(f"{section} {key}", f"{value!r}: give it as text")
    return value


def _duration(table: dict[str, Any], key: str, where: _Where) -> float:
    try:
        return parse_duration(table[key])
    except ValueError as exc:
        raise where.error(key, str(exc)) from None
