"""ESPA 4.4.4: the paging protocol nurse-call and alarm systems speak to the Event Manager.

Sans-I/O: `codec` frames and parses data blocks (bytes in, `DataBlock` out), `link` runs the
link procedure of either end (control equipment as master, paging system as slave) fed bytes
and `now`, returning bytes to send, what happened and its next deadline. The TCP and serial
edges belong to whoever runs a link (the Event Manager, `sipdect ctl espa`, the tests).

Sources: ../shared/specs/ecosystem.md §5 (framing, the BCC vector) and standby-eventmgr.md
B.2 (link behaviour); no spec document is public, so every value decided here is in
`sipdect.espa.conventions`.
"""
