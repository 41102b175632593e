"""sipdect package."""
