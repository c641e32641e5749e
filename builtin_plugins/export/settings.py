"""The export plugin's settings section [export]."""

from pydantic import Field

from kernel.settings import Int, Section, Size


class ExportSettings(Section):
    max_import: Size = 1024**3  # largest archive POST /api/projects/import takes; more is a 413
    # What an archive may unpack to (the sum of its members' sizes) and how many members it may
    # have: checked in each member's header before its data is read; more is a 413.
    max_import_size: Size = 4 * 1024**3
    max_import_members: Int = Field(default=100_000, ge=1)
