"""What the security checklist reads that no other handler serves (SEED-SD Appendix B;
axi.md §3.4): the certificates imported for SIP over TLS, and the transfers and applications
the emulated OMM does not have, read as a real OMM answers with them not configured.

Read-only: the emulated OMM has no corporate directory, XML applications, handset firmware
update or automatic DB export, so there is nothing to set; the answers say "not used" rather
than "not supported", which is the truth of an emulated installation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omm.axi.dispatch import READ, Ctx, resp, route
from sipdect.axi.codec import Message
from sipdect.axi.errors import AxiError

if TYPE_CHECKING:
    from omm.axi.api import AxiApi

PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"

UNUSED_URL = {"enable": "0", "protocol": "None"}
"""A URLType naming no transfer: the feature is not in use."""


def _certificates(api: AxiApi) -> int:
    """How many certificates the PEM file imported for SIP over TLS holds."""
    path = api.model.sip_ca
    if path is None:
        return 0
    try:
        return path.read_bytes().count(PEM_CERTIFICATE)
    except OSError:
        return 0


@route("GetSecureSIPCertificate", perm=READ)
def get_secure_sip_certificate(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """Counts only: the OMM's own certificate and key (shared with AXI) and the imported
    trusted ones; certificates and keys themselves are never shown."""
    return resp(req, {"nTrustedCertificates": _certificates(api), "nLocalCertificates": 1,
                      "nPrivateKeys": 1})


@route("GetAutoDBBackup", "GetPPFirmwareURL", perm=READ)
def get_unused_url(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    return resp(req, children=[Message("url", dict(UNUSED_URL))])


@route("GetXMLApplication", "GetLDAP", perm=READ)
def get_no_records(api: AxiApi, ctx: Ctx, req: Message) -> Message:
    """No XML application and no LDAP directory: a paged read ends at once."""
    raise AxiError("ENoEnt", "none configured")
