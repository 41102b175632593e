"""MAXI request handlers; importing this package registers them all (mom.maxi.dispatch)."""

from mom.maxi.handlers import directory, omms, session  # noqa: F401
