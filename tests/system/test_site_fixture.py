"""The pytest plugin as a QA engineer's own suite meets it: a separate pytest run in a folder of
its own. Two tests using `site` do not see each other's changes; a run that never asks for a
fixture of sipdect loads none of its components (the plugin imports the emulator lazily)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sipdect.waiting import scaled

pytestmark = pytest.mark.slow

COMPONENTS = ("omm", "rfp", "sim", "mom", "eventmgr", "sipdect.app.emulator",
              "sipdect.app.library")

UNRELATED = '''
def test_nothing_of_sipdect():
    assert 1 + 1 == 2
'''

RECORD_MODULES = '''
import json, os, sys

def pytest_sessionfinish(session):
    with open(os.environ["MODULES_FILE"], "w") as f:
        json.dump(sorted(sys.modules), f)
'''

TWO_TESTS = '''
from sipdect.waiting import until_sync

def test_a_changes_the_site(site):
    alice = site.handset("Alice")
    assert alice.attached and alice.state()["x"] == 2.0
    site.add_handset("00077 0010099 3", name="Visitor", x=4, y=0)
    alice.move(25, 0)
    site.host("pbx").stop()
    assert len(site.handsets) == 3

def test_b_sees_none_of_it(site):
    alice, bob = site.handset("Alice"), site.handset("Bob")
    assert len(site.handsets) == 2 and alice.state()["x"] == 2.0
    assert site.host("pbx").state == "running" and site.pbx.registered("202")
    alice.call("202")
    bob.wait_for(state="incoming")
    bob.answer()
    alice.wait_for(state="connected")
    until_sync(lambda: alice.hears(bob.tone_hz), "Alice to hear Bob")
    alice.hang_up()
'''


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MODULES_FILE": str(folder / "modules.json")}
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "sipdect", "-q", "-p", "no:cacheprovider",
         "-p", "no:randomly", "-p", "no:xdist", "--rootdir", str(folder), *args, str(folder)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=scaled(300))


def test_an_unrelated_run_loads_no_component(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(RECORD_MODULES)
    (tmp_path / "test_plain.py").write_text(UNRELATED)
    done = run_pytest(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    loaded = json.loads((tmp_path / "modules.json").read_text())
    assert "sipdect.app.pytest_plugin" in loaded  # the plugin is there,
    heavy = [m for m in loaded if m.split(".")[0] in COMPONENTS or m in COMPONENTS]
    assert heavy == []  # but nothing it would start


def test_two_tests_of_the_site_fixture_do_not_see_each_other(tmp_path: Path) -> None:
    (tmp_path / "test_two.py").write_text(TWO_TESTS)
    done = run_pytest(tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "2 passed" in done.stdout
