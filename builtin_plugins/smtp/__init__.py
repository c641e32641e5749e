"""$smtp."""
