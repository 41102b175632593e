"""mom package."""
