"""m3m's own features: one plugin package per feature, each registered as an entry point of the
`m3m` distribution (pyproject.toml) and made of the same few parts (docs/architecture.md)."""
