"""Run logs: one file per project, `[2025-01-01 12:00:00.123] [INFO] message` a line.

Writes are buffered and flushed by a background task, so a route that logs never waits on the
disk. A run that logs more than the cap gets one truncation note and nothing more, so a
flooding service cannot fill the disk. Subscribers (the SSE stream) get each line as written.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

FLUSH_SECONDS = 0.2
LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")


def now_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def format_line(stamp: str, level: str, message: str) -> str:
    # A multi-line message (a stack) continues on indented lines: one file line, one log line.
    first, *rest = str(message).splitlines() or [""]
    return "".join([f"[{stamp}] [{level}] {first}\n", *(f"    {line}\n" for line in rest)])


class LogStore:
    def __init__(self, root: Path, max_run_bytes: int) -> None:
        self.root = Path(root)
        self.max_run_bytes = max_run_bytes
        self.pending: dict[str, list[str]] = defaultdict(list)
        self.run_bytes: dict[str, int] = defaultdict(int)
        self.truncated: set[str] = set()
        self.subscribers: dict[str, set[asyncio.Queue]] = defaultdict(set)
        self._flusher: asyncio.Task | None = None

    def path(self, project_id: str) -> Path:
        return self.root / f"{project_id}.log"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_forever())

    async def close(self) -> None:
        if self._flusher:
            self._flusher.cancel()
            self._flusher = None
        self.flush()

    def new_run(self, project_id: str) -> None:
        """A new run starts with an empty log."""
        self.pending.pop(project_id, None)
        self.run_bytes[project_id] = 0
        self.truncated.discard(project_id)
        self.root.mkdir(parents=True, exist_ok=True)
        self.path(project_id).write_text("")

    def write(self, project_id: str, level: str, message: str, stamp: str | None = None) -> None:
        if project_id in self.truncated:
            return
        text = format_line(stamp or now_stamp(), level if level in LEVELS else "INFO", message)
        size = len(text.encode())
        if self.run_bytes[project_id] + size > self.max_run_bytes:
            self.truncated.add(project_id)
            text = format_line(
                now_stamp(), "WARN", f"log truncated: this run wrote more than {self.max_run_bytes} bytes; later lines are dropped"
            )
        self.run_bytes[project_id] += size
        self.pending[project_id].append(text)
        for queue in self.subscribers.get(project_id, ()):
            for line in text.splitlines():
                queue.put_nowait(line)

    def flush(self) -> None:
        pending, self.pending = self.pending, defaultdict(list)
        for project_id, chunks in pending.items():
            with open(self.path(project_id), "a", encoding="utf-8") as handle:
                handle.write("".join(chunks))

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await asyncio.to_thread(self.flush)
            except OSError:
                pass  # a full disk must not stop the server; the lines wait in memory

    def lines(self, project_id: str) -> list[str]:
        self.flush()
        try:
            return self.path(project_id).read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def read(self, project_id: str, offset: int, limit: int) -> dict:
        lines = self.lines(project_id)
        page = lines[offset : offset + limit]
        return {"lines": page, "nextOffset": offset + len(page), "total": len(lines)}

    def subscribe(self, project_id: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self.subscribers[project_id].add(queue)
        return queue

    def unsubscribe(self, project_id: str, queue: asyncio.Queue) -> None:
        self.subscribers[project_id].discard(queue)

    def delete(self, project_id: str) -> None:
        self.pending.pop(project_id, None)
        self.path(project_id).unlink(missing_ok=True)
