"""The OMM standby pair (issue 11): replication link, state machine, AXI surface."""
