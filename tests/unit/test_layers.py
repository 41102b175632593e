"""The layer contract (docs/architecture.md) covers the whole kit: every module of sipdect
but sipdect.app sits in the kit's layer of [tool.importlinter], so a new kit module cannot
slip past the contract."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import sipdect

ROOT = Path(__file__).resolve().parents[2]


def _layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layered = next(c for c in contracts if c["type"] == "layers")
    return list(layered["layers"])


def test_every_kit_module_is_in_the_kit_layer() -> None:
    layers = _layers()
    kit = layers[2:-1]  # between the components and dect: the kit, the clock at its bottom
    listed = {name.strip() for layer in kit for name in layer.replace("|", ":").split(":")}
    present = {f"sipdect.{m.name}" for m in pkgutil.iter_modules(sipdect.__path__)} - {
        "sipdect.app"}
    assert listed == present


def test_the_layers_run_from_the_application_down_to_dect() -> None:
    layers = _layers()
    assert layers[0] == "sipdect.app" and layers[-1] == "dect"
    assert {n.strip() for n in layers[1].split("|")} == {"omm", "rfp", "sim", "mom", "eventmgr"}
    assert layers[-2] == "sipdect.clock"  # every kit module may read the clock
