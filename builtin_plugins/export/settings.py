"""The export plugin's settings section [export]."""

from kernel.settings import Section, Size


class ExportSettings(Section):
    max_import: Size = 1024**3  # largest archive POST /api/projects/import takes; more is a 413
