"""sipdect/ops package."""
