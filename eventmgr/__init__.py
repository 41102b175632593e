"""eventmgr package."""
