"""The OMM's AXI face: request handlers over the model, event fan-out, the TCP/TLS server."""
