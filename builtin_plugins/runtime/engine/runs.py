"""The runs of a service: the current one and the last `keep` (runtime.log_runs) before it, each
with its release, start and end, how it ended, and its log.

The current run's log is `{logs}/{project}.log` (logs.py). When a start begins a new run, that
file moves to `{logs}/runs/{project}/{run id}.log` and the oldest past runs beyond `keep` are
deleted: a project holds at most keep + 1 logs, each capped by runtime.log_max_size. The list
is `{logs}/runs/{project}/index.json`.

Nothing here touches the disk on the event loop but one stat at a start: the changes are queued
as operations that the log store's flush carries out in its thread, in order, before it writes
the new run's first lines (so the old file is moved before the new one is started).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from kernel.times import iso, now

log = logging.getLogger("m3m.runtime")

INDEX = "index.json"
ONGOING = ("starting", "running", "sleeping")


class RunHistory:
    def __init__(self, root: Path, current_path, keep: int) -> None:
        self.root = Path(root)  # {logs}/runs
        self.current_path = current_path  # project id -> the current run's log file
        self.keep = keep
        self.indexes: dict[str, list[dict]] = {}  # oldest first; the last one is the current run
        self.ops: list[tuple] = []  # for the next flush, in order
        self.dirty: set[str] = set()

    def folder(self, project_id: str) -> Path:
        return self.root / project_id

    def entries(self, project_id: str) -> list[dict]:
        entries = self.indexes.get(project_id)
        if entries is None:
            entries = self.indexes[project_id] = self._load(project_id)
        return entries

    def _load(self, project_id: str) -> list[dict]:
        try:
            entries = json.loads((self.folder(project_id) / INDEX).read_text())
            return [entry for entry in entries if isinstance(entry, dict) and isinstance(entry.get("id"), int)]
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            log.warning("run logs: the run list of %s is unreadable, starting afresh: %s", project_id, exc)
            return []

    # -- changes (on the event loop) ---------------------------------------------------------------

    def begin(self, project_id: str, release: str | None, tail: str) -> None:
        """A new run starts: the current one ends (its last lines `tail` not yet on disk go to
        its file first), its log moves to the past runs, the oldest beyond `keep` go."""
        entries = self.entries(project_id)
        stamp = iso(now())
        if not entries and self.current_path(project_id).exists():
            # A log from before runs were listed: it becomes a past run of unknown release.
            entries.append(_entry(1, None, None))
        if entries:
            current = entries[-1]
            if current.get("endedAt") is None:
                current.update(endedAt=stamp, exit="replaced", reason=None)
            self.ops.append(("archive", project_id, current["id"], tail))
        entries.append(_entry(entries[-1]["id"] + 1 if entries else 1, release, stamp))
        while len(entries) > self.keep + 1:
            gone = entries.pop(0)
            self.ops.append(("drop", project_id, gone["id"]))
        self.dirty.add(project_id)

    def note(self, project_id: str, state: str, reason: str | None) -> None:
        """The service's state changed: a stop or a crash ends the run (for now: a crash
        restart goes on in the same run, and the run is ongoing again)."""
        entries = self.entries(project_id)
        if not entries:
            return
        current = entries[-1]
        if state in ONGOING:
            ended = {"endedAt": None, "exit": None, "reason": None}
        elif state == "crashed":
            ended = {"endedAt": iso(now()), "exit": "crashed", "reason": reason}
        else:
            ended = {"endedAt": iso(now()), "exit": "stopped", "reason": None}
        if ended["exit"] != current.get("exit") or ended["reason"] != current.get("reason"):
            current.update(ended)
            self.dirty.add(project_id)

    def forget(self, project_id: str) -> None:
        self.indexes.pop(project_id, None)
        self.dirty.discard(project_id)
        self.ops.append(("forget", project_id))

    # -- the disk (in the flush's thread) ----------------------------------------------------------

    def take(self) -> list[tuple]:
        """What the next flush has to do: the queued operations, then the changed lists."""
        ops, self.ops = self.ops, []
        for project_id in self.dirty:
            ops.append(("index", project_id, json.dumps(self.indexes.get(project_id, []), separators=(",", ":"))))
        self.dirty = set()
        return ops

    def apply(self, ops: list[tuple]) -> None:
        for op in ops:
            try:
                getattr(self, f"_apply_{op[0]}")(*op[1:])
            except OSError as exc:  # a full disk must not stop the server (logs.py does the same)
                log.warning("run logs: could not %s for %s: %s", op[0], op[1], exc)

    def _apply_archive(self, project_id: str, run_id: int, tail: str) -> None:
        current = self.current_path(project_id)
        if tail:
            with open(current, "a", encoding="utf-8") as handle:
                handle.write(tail)
        if not current.exists():
            return
        folder = self.folder(project_id)
        folder.mkdir(parents=True, exist_ok=True)
        if self.keep:
            os.replace(current, folder / f"{run_id}.log")
        else:
            current.unlink()

    def _apply_drop(self, project_id: str, run_id: int) -> None:
        (self.folder(project_id) / f"{run_id}.log").unlink(missing_ok=True)

    def _apply_forget(self, project_id: str) -> None:
        shutil.rmtree(self.folder(project_id), ignore_errors=True)

    def _apply_index(self, project_id: str, text: str) -> None:
        folder = self.folder(project_id)
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f"{INDEX}.tmp"
        temporary.write_text(text)
        os.replace(temporary, folder / INDEX)

    # -- reading -----------------------------------------------------------------------------------

    def path(self, project_id: str, run_id: int) -> Path | None:
        """The log file of that run (the current one's is the project's log), None if not kept."""
        entries = self.entries(project_id)
        if entries and entries[-1]["id"] == run_id:
            return self.current_path(project_id)
        if any(entry["id"] == run_id for entry in entries):
            return self.folder(project_id) / f"{run_id}.log"
        return None

    def listing(self, project_id: str) -> list[tuple[dict, Path | None]]:
        """Newest first: a copy of each entry with `current`, and its log file (for its size)."""
        entries = self.entries(project_id)
        return [
            ({**entry, "current": position == 0}, self.path(project_id, entry["id"]))
            for position, entry in enumerate(reversed(entries))
        ]

def _entry(run_id: int, release: str | None, started: str | None) -> dict:
    return {"id": run_id, "release": release, "startedAt": started, "endedAt": None, "exit": None, "reason": None}
