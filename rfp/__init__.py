"""rfp package."""
