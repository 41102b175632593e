"""`sipdect scenario run PATH... [--junit FILE] [--speed N] [--capture DIR]` (docs/scenarios.md).

Each scenario file gets a site of its own (its system, free ports, a temporary data
directory), started on a loop at the scenario's speed, and the runner plays its steps; the
progress goes to stdout, a summary follows, the exit status is 1 when any scenario failed
(2 for a command-line mistake). With --junit the JUnit XML is written, and beside it one log
per scenario (its progress, its verdict and the site's whole event stream), named in the
report's system-out; with --capture the run's pcapng (docs/capture.md) is named there too.
"""

from __future__ import annotations

import argparse
import functools
import logging
import re
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from sipdect import clock
from sipdect.app.config import ConfigError, SystemConfig, config_from_tables, load_config
from sipdect.app.scenario import junit
from sipdect.app.scenario.model import Scenario
from sipdect.app.scenario.parse import ScenarioError, load_scenario, scenario_files
from sipdect.app.scenario.results import ERROR, PASSED, CaseResult, ScenarioResult
from sipdect.app.scenario.runner import Runner


def system_config(scenario: Scenario) -> SystemConfig:
    """The system a scenario runs: its config file, its inline [system], else the default."""
    if scenario.system_path is not None:
        return load_config(scenario.system_path)
    if scenario.system_inline is not None:
        return config_from_tables(scenario.system_inline, f"{scenario.path}: [system]",
                                  scenario.path.parent)
    return load_config()


def run_at(speed: float, main: Callable[[], Coroutine[Any, Any, ScenarioResult]]
           ) -> ScenarioResult:
    """main() on a fresh event loop whose clock runs at `speed`: the clock's one entry point
    (sipdect.clock); child host processes inherit the process's clock."""
    before = clock.process_clock()
    try:
        clock.configure(speed)
    except clock.ClockError as exc:
        raise ScenarioError(str(exc)) from None
    try:
        return clock.run(main())
    finally:
        clock.adopt(before)  # a library caller (a test, a bench) gets its clock back


async def play(scenario: Scenario, *, speed: float | None = None,
               out: Callable[[str], None] = print, data_dir: Path | None = None,
               capture: Path | None = None) -> ScenarioResult:
    """Start the scenario's site on this loop, play the scenario, stop the site. With
    `capture`, the run is captured into that folder (docs/capture.md) and the file attached
    to the result."""
    from sipdect.app.library import Site

    speed = scenario.speed if speed is None else speed
    scenario.speed = speed
    try:
        config = system_config(scenario)
    except ConfigError as exc:
        return _erred(scenario, f"{scenario.path}: the system: {exc}")
    if capture is not None:
        config.capture = capture  # the capture feature's one entry point (docs/capture.md)
    out(f"scenario {scenario.name} ({scenario.path}), speed {speed:g}")
    try:
        site = Site(config, data_dir, speed=speed)
    except (ConfigError, RuntimeError) as exc:
        return _erred(scenario, f"{scenario.path}: the system: {exc}")
    try:
        await site.start()
    except (ConfigError, OSError, RuntimeError) as exc:
        await site.stop()  # what did start goes again
        return _erred(scenario, f"{scenario.path}: the system did not start: {exc}")
    system = site.system
    try:
        result = await Runner(scenario, site, config, out).run()
    finally:
        await site.stop()
    if system.capture_file is not None:  # written at stop
        result.attachments.append(str(system.capture_file))
    return result


def _erred(scenario: Scenario | Path, why: str) -> ScenarioResult:
    path = scenario.path if isinstance(scenario, Scenario) else scenario
    name = scenario.name if isinstance(scenario, Scenario) else path.stem
    return ScenarioResult(path, name, CaseResult(name, ERROR, message=why, detail=why),
                          started=time.time())


def run_files(paths: list[Path], *, speed: float | None = None,
              capture: Path | None = None,
              out: Callable[[str], None] = print) -> list[ScenarioResult]:
    """Run every scenario of `paths` (a folder: its *.toml) in turn."""
    results: list[ScenarioResult] = []
    for path in scenario_files(paths):
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            out(f"ERROR {exc}")
            results.append(_erred(path, str(exc)))
            continue
        at = scenario.speed if speed is None else speed
        if scenario.voice and at != 1:
            why = (f"{path}: [scenario] voice: it listens to voice, which runs at speed 1 "
                   f"only, not {at:g}: run it without --speed")
            out(f"ERROR {why}")
            results.append(_erred(scenario, why))
            continue
        try:
            result = run_at(at, functools.partial(play, scenario, speed=at, out=out,
                                                  capture=capture))
        except ScenarioError as exc:
            result = _erred(scenario, f"{scenario.path}: {exc}")
        results.append(result)
        out(_verdict(result))
    return results


def _verdict(result: ScenarioResult) -> str:
    case = result.scenario
    line = f"{case.outcome.upper()} {result.name} in {case.seconds:.1f} s ({case.steps} steps)"
    if case.outcome != PASSED:
        line += f"\n  {case.message}"
        if case.detail and case.detail != case.message:
            line += "\n" + "\n".join(f"  {d}" for d in case.detail.splitlines()[1:])
    return line


def summary(results: list[ScenarioResult]) -> str:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.scenario.outcome] = counts.get(r.scenario.outcome, 0) + 1
    parts = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    noun = "scenario" if len(results) == 1 else "scenarios"
    return f"{len(results)} {noun}: {parts or 'none'}"


def write_logs(results: list[ScenarioResult], junit_file: Path) -> None:
    """One log per scenario beside the JUnit file, its path attached to the report."""
    for result in results:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", result.name).strip("-") or "scenario"
        log = junit_file.with_name(f"{junit_file.stem}-{slug}.log")
        lines = [*result.output, _verdict(result), "", "events:", *result.events]
        log.write_text("\n".join(lines) + "\n", "utf-8")
        result.attachments.append(str(log))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sipdect scenario", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run scenario files (a folder: all its *.toml)")
    run.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    run.add_argument("--junit", type=Path, metavar="FILE", help="write a JUnit XML report")
    run.add_argument("--speed", type=float, metavar="N",
                     help="run every scenario at this speed (default: each file's own)")
    run.add_argument("--capture", type=Path, metavar="DIR",
                     help="write a capture (pcapng) of each run into DIR")
    run.add_argument("-v", "--verbose", action="store_true",
                     help="show the system's own log lines (INFO) between the steps")
    args = parser.parse_args(argv)
    # The steps are the progress; the hosts' INFO lines would drown them.
    logging.getLogger().setLevel(logging.INFO if args.verbose else logging.WARNING)
    if args.speed is not None and not 0 < args.speed <= 1000:
        print("sipdect scenario: --speed: give a number above 0 and at most 1000",
              file=sys.stderr)
        return 2
    try:
        results = run_files(args.paths, speed=args.speed, capture=args.capture,
                            out=lambda line: print(line, flush=True))
    except ScenarioError as exc:
        print(f"sipdect scenario: {exc}", file=sys.stderr)
        return 2
    print(summary(results))
    if args.junit is not None:
        try:
            write_logs(results, args.junit)
            args.junit.write_bytes(junit.render(results))
        except OSError as exc:
            print(f"sipdect scenario: cannot write {args.junit}: {exc.strerror or exc}",
                  file=sys.stderr)
            return 2
        print(f"JUnit report: {args.junit}")
    return 0 if all(r.passed for r in results) else 1
