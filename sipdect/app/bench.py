"""`sipdect bench {axi,dect,site,media,calls,airlink,failover,mom,eventmgr,
scenario,web,ops,all}`: run each
area's benchmarks, gather their JSON.

Each area owns its benchmark (sipdect/app/axi_bench.py, dect/bench.py) with
`run(quick: bool = False) -> dict`; this module only picks and labels them.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Benchmark name -> module with run(quick).
BENCHMARKS: dict[str, str] = {"axi": "sipdect.app.axi_bench", "dect": "dect.bench",
                              "site": "sipdect.app.site_bench", "media": "sipdect.media.bench",
                              "calls": "sipdect.app.calls_bench",
                              "airlink": "sipdect.app.airlink_bench",
                              "failover": "sipdect.app.failover_bench",
                              "mom": "sipdect.app.mom_bench",
                              "eventmgr": "sipdect.app.eventmgr_bench",
                              "scenario": "sipdect.app.scenario_bench",
                              "web": "sipdect.app.web_bench",
                              "ops": "sipdect.app.ops_bench"}


def _one(name: str, quick: bool) -> dict[str, Any]:
    try:
        module = importlib.import_module(BENCHMARKS[name])
    except ImportError as exc:
        return {"error": f"benchmark {BENCHMARKS[name]} is not available: {exc}"}
    result: dict[str, Any] = module.run(quick=quick)
    return result


def run(what: str, quick: bool = False) -> dict[str, Any]:
    """Results keyed by benchmark name; `what` is a name of BENCHMARKS or "all"."""
    if what == "all":
        names = list(BENCHMARKS)
    elif what in BENCHMARKS:
        names = [what]
    else:
        raise ValueError(f"unknown benchmark {what!r}; choose one of "
                         f"{', '.join([*BENCHMARKS, 'all'])}")
    return {name: _one(name, quick) for name in names}
