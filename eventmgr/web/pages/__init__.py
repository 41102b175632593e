"""The Event Manager web UI's page modules (each has `setup(site)`; loaded by
eventmgr.web.build_site)."""
