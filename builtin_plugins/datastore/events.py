"""Live record events for the UI's table: create/update/delete of a model's records, as
server-sent events. In this server process: its own writes (REST, batch, import) and its
services' (`$database` in their workers tells the server each write: m3m_service_notice in
__init__.py) are heard; writes by another server process are not (docs/datastore.md)."""

from __future__ import annotations

import asyncio
import json

QUEUE = 256  # events held for a slow listener; past it the listener is told to reload


class Events:
    def __init__(self) -> None:
        self.listeners: dict[str, set[asyncio.Queue]] = {}

    def publish(self, model: dict, action: str, record: dict) -> None:
        for queue in list(self.listeners.get(model["_id"], ())):
            try:
                queue.put_nowait({"action": action, "record": record})
            except asyncio.QueueFull:
                queue.get_nowait()
                queue.put_nowait({"action": "overflow", "record": None})

    async def stream(self, model_id: str, ping: float):
        """Server-sent event lines for one listener, until it goes away."""
        queue: asyncio.Queue = asyncio.Queue(QUEUE)
        self.listeners.setdefault(model_id, set()).add(queue)
        try:
            yield b": connected\n\n"
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), ping)
                except asyncio.TimeoutError:
                    yield b": ping\n\n"
                    continue
                data = json.dumps(event, ensure_ascii=False)
                yield f"event: {event['action']}\ndata: {data}\n\n".encode()
        finally:
            self.listeners[model_id].discard(queue)
            if not self.listeners[model_id]:
                del self.listeners[model_id]
