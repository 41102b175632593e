"""The capture library's own exception (sipdect.capture)."""


class CaptureFormatError(ValueError):
    """Bytes that are not the pcapng (or sipdect record) layout they should be."""
