"""sipdect/axi package."""
