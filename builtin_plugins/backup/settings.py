"""The backup plugin's settings section [backup]."""

from typing import Annotated

from pydantic import BeforeValidator, Field

from kernel.settings import Duration, Int, Section, Size
from kernel.units import parse_duration

# A duration where 0 means "never" (settings are printed as TOML, which has no null).
DurationOrOff = Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]


class BackupSettings(Section):
    path: str = ""  # where backups are kept; empty: {storage.path}/backups
    every: DurationOrOff = 0  # make one this often (e.g. "1d"); 0: only when asked
    keep: Int = Field(default=7, ge=1)  # backups kept in `path`; the oldest beyond go
    pause_timeout: Duration = 60  # how long an API change waits for a backup to finish (then 503)
    # Paths of the storage tree (relative, shell patterns) left out: the embedded database is
    # dumped with the rest of the database, not copied as files; uploads in progress are not data.
    exclude: list[str] = ["db", "backups", "projects/*/tmp", "exports-tmp", ".backup-*", ".server-*"]
    # What `m3m restore` takes from an archive: the sum of its members' sizes and how many members
    # it has, checked in each member's header before its data is read (the archive is unpacked
    # into a scratch folder of the storage tree first, so the disk needs that much room).
    max_restore_size: Size = 100 * 1024**3
    max_restore_members: Int = Field(default=1_000_000, ge=1)
