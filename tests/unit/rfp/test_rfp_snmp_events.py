"""Which RFP events become traps (rfp.snmp) and event-log entries (the OMM's link server):
a sync loss after a sync and its regain, never the start-up's Inactive -> Searching -> Synced
(seed 000 "SNMP Support": traps, else the event log)."""

from __future__ import annotations

from pathlib import Path

from omm.model import OmmModel, OmmSetup
from omm.rfplink import RfpLinkServer
from omm.rfplink.session import SyncState
from rfp.snmp import RfpFacts, RfpSnmp
from sipdect.net import HostNet
from sipdect.snmp import oids
from sipdect.snmp.trap import Trap


def test_sync_traps_only_for_a_loss_after_a_sync_and_its_regain() -> None:
    agent = RfpSnmp(HostNet("rfp", "127.0.0.1"), 0,
                    lambda: RfpFacts("RFP35", bytes(6), 0.0, 0, 0, 0.0))
    sent: list[Trap] = []
    agent._trap = sent.append  # type: ignore[method-assign]
    for state in ("Inactive", "Searching", "Synced", "Synced", "Searching", "NotSynced",
                  "Synced", "Inactive", "Searching", "Synced"):
        agent.sync_state(state)
    assert [t.oid for t in sent] == [oids.RFP_SYNC_LOST, oids.RFP_SYNC_REGAINED]
    assert sent[0].value(oids.RFP_REASON) == "Searching"


def test_the_omm_logs_a_sync_loss_and_its_regain(tmp_path: Path) -> None:
    model = OmmModel(tmp_path / "omm", OmmSetup())
    server = RfpLinkServer(model, "127.0.0.1", 0)
    try:
        for before, state in (("Inactive", SyncState.SEARCHING),
                              ("Searching", SyncState.SYNCED),
                              ("Synced", SyncState.SEARCHING),
                              ("Searching", SyncState.SYNCED)):
            server._log_sync(4, before, state)
        texts = [e.msg for e in model.event_log.entries(0, 100)]
        assert "RFP 4 lost DECT sync (Searching)" in texts
        assert "RFP 4 DECT synchronised again" in texts
        assert sum("sync" in t for t in texts) == 2
    finally:
        model.close()
