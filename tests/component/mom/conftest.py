"""The MAXI fixtures (maxi_host): a MOM serving MAXI on loopback, and logged-in clients."""

from maxi_host import fresh_maxi, maxi, mc  # noqa: F401
