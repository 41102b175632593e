"""docs/axi-coverage.md says which schema requests the OMM answers "not supported", and why:
it is generated from the router (tools/gen_axi_coverage.py) and must match it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from omm.axi.dispatch import ROUTES
from sipdect.axi.catalog import SCHEMA_REQUESTS

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_axi_coverage",
                                                  ROOT / "tools" / "gen_axi_coverage.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_coverage_table_matches_the_router() -> None:
    written = (ROOT / "docs" / "axi-coverage.md").read_text(encoding="utf-8")
    assert written == _generator().document(), (
        "docs/axi-coverage.md is stale: run .venv/bin/python tools/gen_axi_coverage.py > "
        "docs/axi-coverage.md")


def test_the_table_lists_exactly_the_unrouted_schema_requests() -> None:
    written = (ROOT / "docs" / "axi-coverage.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip() for line in written.splitlines()
            if line.startswith("| ") and not line.startswith("| request")}
    assert rows == SCHEMA_REQUESTS - set(ROUTES)
    assert {"GetLicense", "GetLastPPDevAction", "SetPPUserTracking", "SoftwareUpdate",
            "GetSystemCredentials", "SetSystemProvUpdTrig"}.isdisjoint(rows)


def test_the_catalog_names_requests_only() -> None:
    """tools/gen_catalog.py reads the schema's global elements: children such as <e> of
    Subscribe or <msg> of SendMessage are no requests (axi.md §3.1: 275 requests)."""
    assert len(SCHEMA_REQUESTS) == 275
    assert not {"accountState", "confirmReq", "e", "entry", "msg", "permission",
                "type"} & SCHEMA_REQUESTS
