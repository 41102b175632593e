"""The OMM's web pages: every module here with a `setup(site)` is loaded by
omm.web.build_site (docs/web.md "Writing a page")."""
