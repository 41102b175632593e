"""dect package."""
