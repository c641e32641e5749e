"""Built-in plugins: one package per feature, each with the same few parts (see docs/plugins.md)."""
