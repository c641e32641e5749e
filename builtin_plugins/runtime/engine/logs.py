"""Run logs: one file per project, `[2025-01-01 12:00:00.123] [INFO] message` a line.

A message of several lines (a stack) is written as its first line followed by continuation
lines indented by four spaces; paging, download and the stream all count physical lines.

Nothing here makes a route wait on the disk: `write` only appends to memory and a background
task flushes every FLUSH_SECONDS in a thread. Memory and disk are both bounded:
- a run writes at most `max_run_bytes` (runtime.log_max_size) of the service's lines, then one
  truncation note; past it only runtime events (messages starting with EVENT_PREFIX: stopping,
  crashed with the stack, restarts ...) are still written, up to EVENT_RESERVE bytes more, so a
  service that flooded its log and then crashed still shows why;
- the lines waiting for the disk hold at most `max_pending_bytes` for all projects together;
  past it lines are dropped and counted, and the count is written as a note with the next flush;
- each stream subscriber holds at most SUBSCRIBER_LINES lines; a client that reads slower than
  the service logs skips lines and is told how many.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from kernel.times import log_stamp

from .runs import RunHistory

log = logging.getLogger("m3m.runtime")

FLUSH_SECONDS = 0.2
LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
MAX_PENDING_BYTES = 8 * 1024 * 1024
SUBSCRIBER_LINES = 2000
READ_CHUNK = 64 * 1024
EVENT_PREFIX = "[runtime] "  # the supervisor's events (Supervisor._event)
EVENT_RESERVE = 64 * 1024
RESET = object()  # what a subscriber receives when a new run clears the log


def format_line(stamp: str, level: str, message: str) -> str:
    """One entry as file text: its first line, then indented continuation lines.

    str.splitlines also splits on \\r, \\v, \\u2028 ... so no line of the file holds any line
    break but its final \\n (an SSE `data:` field must not either)."""
    first, *rest = str(message).splitlines() or [""]
    return "".join([f"[{stamp}] [{level}] {first}\n", *(f"    {line}\n" for line in rest)])


@dataclass
class _Run:
    """What the store knows of a project's current log."""

    written: int = 0  # bytes of this run accepted so far (the cap counts them)
    truncated: bool = False
    dropped: int = 0  # lines refused because the pending buffer was full
    chunks: list[str] = field(default_factory=list)  # accepted, not yet on disk
    chunk_bytes: int = 0
    mode: str = "a"  # at the next flush: "a" append, "w" start the file afresh, "delete"


class Subscription:
    """One stream client: a bounded queue of lines (and RESET markers)."""

    def __init__(self, limit: int = SUBSCRIBER_LINES) -> None:
        self.items: deque = deque()
        self.limit = limit
        self.skipped = 0
        self.ready = asyncio.Event()

    def push(self, item) -> None:
        if item is RESET:
            self.items.clear()  # lines of the old run are not worth sending any more
            self.skipped = 0
        elif len(self.items) >= self.limit:
            self.skipped += 1
            return
        self.items.append(item)
        self.ready.set()

    async def next(self, timeout: float) -> list:
        """Everything queued (waiting up to `timeout`), with a note first if lines were skipped."""
        try:
            await asyncio.wait_for(self.ready.wait(), timeout)
        except asyncio.TimeoutError:
            return []
        self.ready.clear()
        items, self.items = list(self.items), deque()
        if self.skipped:
            note = format_line(log_stamp(), "WARN", f"[stream] {self.skipped} lines skipped: this client read slower than the service logged")
            items.insert(0, note.rstrip("\n"))
            self.skipped = 0
        return items


class LogStore:
    def __init__(self, root: Path, max_run_bytes: int, max_pending_bytes: int = MAX_PENDING_BYTES, keep_runs: int = 10) -> None:
        self.root = Path(root)
        self.history = RunHistory(self.root / "runs", self.path, keep_runs)  # the past runs (runs.py)
        self.max_run_bytes = max_run_bytes
        self.max_pending_bytes = max_pending_bytes
        self.pending_bytes = 0
        self.runs: dict[str, _Run] = {}
        self.subscribers: dict[str, set[Subscription]] = {}
        # One flush at a time, and the chunks taken in order: lines reach the file in order.
        self._flush_lock = asyncio.Lock()
        self._closing = asyncio.Event()
        self._flusher: asyncio.Task | None = None

    def path(self, project_id: str) -> Path:
        return self.root / f"{project_id}.log"

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_forever())

    async def close(self) -> None:
        # The flusher ends its loop rather than being cancelled mid-write (its thread would go
        # on writing while the last flush writes too).
        self._closing.set()
        if self._flusher:
            await self._flusher
            self._flusher = None
        await self.flush()

    async def _flush_forever(self) -> None:
        while not self._closing.is_set():
            try:
                await asyncio.wait_for(self._closing.wait(), FLUSH_SECONDS)
            except asyncio.TimeoutError:
                pass
            await self.flush()

    # -- writing -----------------------------------------------------------------------------

    def _run(self, project_id: str) -> _Run:
        run = self.runs.get(project_id)
        if run is None:
            # First write since this server started (the log may be from before): the cap
            # counts what the file already holds.
            try:
                written = self.path(project_id).stat().st_size
            except OSError:
                written = 0
            run = self.runs[project_id] = _Run(written=written, truncated=written >= self.max_run_bytes)
        return run

    def new_run(self, project_id: str, release: str | None = None) -> None:
        """A new run starts with an empty log (at the next flush the old one, with its lines
        still in memory, moves to the past runs and the file starts afresh)."""
        old = self.runs.get(project_id)
        tail = ""
        if old:
            self.pending_bytes -= old.chunk_bytes
            tail = "".join(old.chunks) if old.mode != "delete" else ""
        self.history.begin(project_id, release, tail)
        self.runs[project_id] = _Run(mode="w")
        self._publish(project_id, [RESET])

    def write(self, project_id: str, level: str, message: str, stamp: str | None = None) -> None:
        run = self._run(project_id)
        text = format_line(stamp or log_stamp(), level if level in LEVELS else "INFO", message)
        try:
            size = len(text.encode())
        except UnicodeEncodeError:  # a lone surrogate from JS text: written as "?", never lost
            text = text.encode("utf-8", "replace").decode()
            size = len(text.encode())
        if run.truncated:
            if str(message).startswith(EVENT_PREFIX) and run.written + size <= self.max_run_bytes + EVENT_RESERVE:
                self._append(project_id, run, text)
            return
        if run.written + size > self.max_run_bytes:
            run.truncated = True
            text = format_line(
                log_stamp(), "WARN",
                f"[runtime] log truncated: this run wrote more than {self.max_run_bytes} bytes; "
                "later lines are dropped until the next start",
            )
        elif self.pending_bytes + size > self.max_pending_bytes:
            run.dropped += 1
            return
        self._append(project_id, run, text)

    def _append(self, project_id: str, run: _Run, text: str) -> None:
        size = len(text.encode())
        run.written += size
        run.chunks.append(text)
        run.chunk_bytes += size
        self.pending_bytes += size
        self._publish(project_id, text.splitlines())

    def _publish(self, project_id: str, items: list) -> None:
        for subscription in self.subscribers.get(project_id, ()):
            for item in items:
                subscription.push(item)

    # -- the disk ----------------------------------------------------------------------------

    async def flush(self) -> None:
        async with self._flush_lock:
            runs = self.history.take()  # before the batch: an old run's file moves before the new one starts
            batch = self._take()
            if runs or batch:
                try:
                    await asyncio.to_thread(self._write_all, runs, batch)
                except OSError as exc:
                    # A full disk must not stop the server; holding the lines would only move
                    # the problem to memory, so they are lost.
                    log.warning("run logs: could not write: %s", exc)

    def _take(self) -> list[tuple[Path, str, str]]:
        batch = []
        for project_id, run in list(self.runs.items()):
            if run.dropped:
                note = f"[runtime] {run.dropped} lines dropped: the service logged faster than they could be written"
                run.dropped = 0
                if not run.truncated:
                    self._append(project_id, run, format_line(log_stamp(), "WARN", note))
            if run.chunks or run.mode != "a":
                batch.append((self.path(project_id), run.mode, "".join(run.chunks)))
                self.pending_bytes -= run.chunk_bytes
                run.chunks, run.chunk_bytes = [], 0
                if run.mode == "delete":
                    del self.runs[project_id]
                run.mode = "a"
        return batch

    def _write_all(self, runs: list[tuple], batch: list[tuple[Path, str, str]]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.history.apply(runs)
        self._write_batch(batch)

    def _write_batch(self, batch: list[tuple[Path, str, str]]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for path, mode, text in batch:
            if mode == "delete":
                path.unlink(missing_ok=True)
            else:
                with open(path, mode, encoding="utf-8") as handle:
                    handle.write(text)

    def delete(self, project_id: str) -> None:
        """The project is gone: its log file goes with the next flush."""
        old = self.runs.get(project_id)
        if old:
            self.pending_bytes -= old.chunk_bytes
        self.runs[project_id] = _Run(mode="delete")
        self.history.forget(project_id)

    # -- reading -----------------------------------------------------------------------------

    async def _file(self, project_id: str, run: int | None) -> Path | None:
        """The log file of the current run (run None) or of a kept run; None: no such run."""
        await self.flush()
        return self.path(project_id) if run is None else self.history.path(project_id, run)

    async def read(self, project_id: str, offset: int, limit: int, run: int | None = None) -> dict | None:
        """A page of lines: {lines, nextOffset, total} (one pass over the file, in a thread)."""
        path = await self._file(project_id, run)
        return None if path is None else await asyncio.to_thread(self._read_page, path, offset, limit)

    async def list_runs(self, project_id: str) -> list[dict]:
        """The kept runs, newest (the current one) first, each with its log's size in bytes."""
        await self.flush()
        listing = self.history.listing(project_id)
        sizes = await asyncio.to_thread(lambda: [_size(path) for _, path in listing])
        return [{**entry, "size": size} for (entry, _), size in zip(listing, sizes)]

    @staticmethod
    def _read_page(path: Path, offset: int, limit: int) -> dict:
        lines, total = [], 0
        try:
            with open(path, encoding="utf-8", errors="replace", newline="\n") as handle:
                for total, line in enumerate(handle, 1):
                    if offset < total <= offset + limit:
                        lines.append(line.rstrip("\n"))
        except FileNotFoundError:
            pass
        return {"lines": lines, "nextOffset": offset + len(lines), "total": total}

    async def chunks(self, project_id: str, run: int | None = None):
        """The whole log as text chunks, for the download (nothing for a run not kept)."""
        path = await self._file(project_id, run)
        try:
            handle = await asyncio.to_thread(open, path, "rb") if path else None
        except FileNotFoundError:
            return
        if handle is None:
            return
        try:
            while chunk := await asyncio.to_thread(handle.read, READ_CHUNK):
                yield chunk
        finally:
            handle.close()

    # -- the stream --------------------------------------------------------------------------

    def subscribe(self, project_id: str) -> Subscription:
        subscription = Subscription()
        self.subscribers.setdefault(project_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, project_id: str, subscription: Subscription) -> None:
        listeners = self.subscribers.get(project_id)
        if listeners is not None:
            listeners.discard(subscription)
            if not listeners:
                del self.subscribers[project_id]

    def listening(self, project_id: str) -> int:
        return len(self.subscribers.get(project_id, ()))



def _size(path: Path | None) -> int:
    try:
        return path.stat().st_size if path else 0
    except OSError:
        return 0
