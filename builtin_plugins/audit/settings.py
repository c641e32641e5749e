"""The audit plugin's settings section [audit]."""

from pydantic import Field

from kernel.settings import Duration, Int, Section, Size


class AuditSettings(Section):
    retention: Duration = 90 * 86400  # entries older than this are deleted
    max_entries: Int = Field(default=1_000_000, ge=1)  # and past this many, the oldest
    prune_every: Duration = 3600
    # Entries are stored this long after their answer, together (a crash loses at most these).
    write_delay: Duration = 0.05
    max_pending: Int = Field(default=100_000, ge=1)  # queued while the database is away: past this, the oldest go
    max_value_size: Size = 4096  # a before/after/request value larger than this is kept as its size and hash
    # Field names whose values are never recorded (compared without case, `_` and `-`).
    redact: list[str] = ["password", "newPassword", "currentPassword", "passwordHash", "apiKey", "token",
                         "secret", "linkKey", "authorization", "key_hash"]
    # Routes (a part of their rule) whose `value` fields are hidden too: variables hold secrets.
    hide_values: list[str] = ["/env"]
    # Routes not recorded: high-rate data writes that are no admin's change, and the request
    # tester's call of a service's route (the same call as /bot-..., which is not recorded either).
    skip: list[str] = ["/api/projects/<pid>/goals/<goal>/increment", "/api/projects/<pid>/runtime/call"]
    # Routes whose changes made with the project's own API key are not recorded: the project's
    # data traffic (its records, written from outside as its service writes them with $database,
    # which is not recorded either); a user's change on the same routes is. Without this a busy
    # client would push the admins' changes out of the log (max_entries). `[]` records them all.
    skip_api_key: list[str] = [
        "/api/projects/<pid>/models/<ref>/records", "/api/projects/<pid>/models/<ref>/records/<rid>",
        "/api/projects/<pid>/models/<ref>/records/batch", "/api/projects/<pid>/models/<ref>/records/import",
        "/api/projects/<pid>/models/<ref>/records/<rid>/files/<key>",
    ]
    # Reads recorded too: they hand out everything (a project's env and files, a whole backup).
    record_reads: list[str] = ["/api/projects/<pid>/export", "/api/backups/<name>"]
    # Routes whose refusals are recorded too (failed sign-ins).
    record_failures: list[str] = ["/api/auth/login"]
