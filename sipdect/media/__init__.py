"""RTP/SRTP media kit: the RFP's media gateway, SIP phones and the test tools share it.

RTP and RTCP (RFC 3550), telephone-event (RFC 4733), G.711 and G.722 (ITU-T), SDP
(RFC 4566/3264), SDES `a=crypto` (RFC 4568) with the site SRTP modes of seed 000
"Media Encryption", SRTP through pylibsrtp (RFC 3711), and the one sans-I/O RTP leg
(`leg.RtpLeg`) every call end runs; its owner keeps the sockets. Modules are imported
by name (`from sipdect.media import rtp`).
"""
