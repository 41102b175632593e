"""`sipdect provision OMM --config FILE --out DIR`: the provisioning files of one OMM of a
system config, written by the kit's writer the MOM uses (sipdect.axi.provisioning.omm_files;
docs/mom.md "Configuration files"), so a trainer can show central provisioning today.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dect.identities import Park
from sipdect import __version__
from sipdect.accounts import FULL_ACCESS
from sipdect.app.config import ConfigError, SystemConfig, load_config
from sipdect.axi.provisioning import OmmProvisioning, ProvisionedAccount, omm_files
from sipdect.axi.records import PP_USER, RFP, RecordSpec

#: Settings groups a file does not set: the PARK is the licence's (read-only over AXI), the
#: SARI has a request of its own (SetSARI), ConfigURL would move the files it is read from.
NOT_WRITTEN = frozenset({"PARK", "SARI", "ConfigURL"})


def _wire(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def omm_provisioning(cfg: SystemConfig, name: str, *, sari: str | None = None) -> OmmProvisioning:
    """What the system config gives OMM `name`: system name, accounts, settings (BasicSIP at
    the system's call server unless set), SARI (`sari`, else the OMM's setting), the sites its
    RFPs are on, its RFPs and its users (uids counted from 1 in config order)."""
    from sipdect.app.system import configured_basic_sip

    omm = next((o for o in cfg.omms if o.name == name), None)
    if omm is None:
        raise ConfigError(f"{cfg.source}: no [[omm]] named {name!r}; known: "
                          f"{', '.join(o.name for o in cfg.omms)}")
    head = cfg.pair_head(name)
    settings = {group: {k: _wire(v) for k, v in values.items()}
                for group, values in omm.settings.items() if group not in NOT_WRITTEN}
    basic_sip = configured_basic_sip(cfg)
    if "BasicSIP" not in settings and basic_sip is not None:
        settings["BasicSIP"] = {k: _wire(v) for k, v in basic_sip.items()}
    system_name = settings.pop("SystemName", {}).get("name", "") or omm.name
    rfps = [r for r in cfg.rfps if r.omm == head]
    sites = sorted({r.site for r in rfps} - {1})  # site 1 is on every OMM
    users = [u for u in cfg.users if u.omm == head]
    return OmmProvisioning(
        system_name=system_name,
        accounts=[ProvisionedAccount(a.username, a.password, a.permissions or FULL_ACCESS)
                  for a in omm.accounts],
        settings=settings,
        sari=sari if sari is not None else str(omm.settings.get("SARI", {}).get("sari", "")),
        sites=[{"id": str(s), "name": f"Site {s}"} for s in sites],
        rfps=[_record(RFP, {"ethAddr": r.mac, "name": r.host_name, "dectOn": r.dect_on,
                            "cluster": r.cluster, "preferredSync": r.preferred_sync,
                            "site": r.site, "x": max(0, int(r.x)), "y": max(0, int(r.y))})
              for r in rfps],
        users=[_record(PP_USER, {"uid": i, "num": u.number, "name": u.name,
                                 "sipAuthId": u.auth_id or "", "sipPw": u.sip_password})
               for i, u in enumerate(users, 1)])


def _record(spec: RecordSpec, values: dict[str, Any]) -> dict[str, str]:
    """Values as the record's wire strings (an RFP's booleans true/false, a user's 1/0)."""
    return dict(spec.render(values, only=values).attrs)


def write_files(cfg: SystemConfig, name: str, out: Path, *, sari: str | None = None) -> list[Path]:
    """Write OMM `name`'s files into `out` (made if missing); the paths written."""
    files = omm_files(omm_provisioning(cfg, name, sari=sari),
                      comment=f"provisioning of OMM {name} from {cfg.source}\n"
                              f"written by sipdect {__version__}; passwords in clear "
                              "(plainText): keep this file private")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, data in files.items():
        path = out / file_name
        path.write_bytes(data)
        path.chmod(0o600)
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="sipdect provision", description=__doc__,
        epilog="Serve DIR over HTTP(S) or give the OMM `config_url = \"file:///DIR/ipdect.cfg\"`")
    parser.add_argument("omm", metavar="OMM", help="the [[omm]] to write the files of")
    parser.add_argument("--config", type=Path, help="system TOML (default: the embedded "
                                                    "configs/default.toml)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="where to write ipdect.cfg")
    parser.add_argument("--sari", help="the SARI the MOM's OMMs share (PARK format, e.g. "
                                       "1F10ABCDE0; default: the OMM's SARI setting)")
    args = parser.parse_args(argv)
    try:
        if args.sari:
            try:
                Park.parse(args.sari)
            except ValueError as exc:
                raise ConfigError(f"--sari {args.sari}: not a SARI (PARK format, e.g. "
                                  f"1F10ABCDE0): {exc}") from None
        cfg = load_config(args.config)
        written = write_files(cfg, args.omm, args.out, sari=args.sari)
    except ConfigError as exc:
        print(f"sipdect provision: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"sipdect provision: cannot write to {args.out}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
