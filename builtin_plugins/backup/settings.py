"""The backup plugin's settings section [backup]."""

from pathlib import Path

from pydantic import Field

from kernel.settings import Duration, Int, Section


class BackupSettings(Section):
    path: Path | None = None  # where backups are kept; empty: {storage.path}/backups
    every: Duration | None = None  # make one this often (e.g. "1d"); empty: only when asked
    keep: Int = Field(default=7, ge=1)  # backups kept in `path`; the oldest beyond go
    pause_timeout: Duration = 60  # how long an API change waits for a backup to finish (then 503)
    # Paths of the storage tree (relative, shell patterns) left out: the embedded database is
    # dumped with the rest of the database, not copied as files; uploads in progress are not data.
    exclude: list[str] = ["db", "backups", "projects/*/tmp", "exports-tmp", ".backup-*", ".server-*"]
