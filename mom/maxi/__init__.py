"""MAXI, the MOM's application interface: the AXI framing, session and login rules on TCP 12624,
TLS 1.2/1.3 only, over the MOM's central user/device directory (docs/mom.md "MAXI")."""
