"""The baseline of `make bench`: a plain Quart app with the JS route's handler, in its own
Hypercorn process (`python bench/plain_quart.py PORT`), no access log: the baseline DESIGN.md
names. m3m itself serves on uvicorn since 2026-12-04 (kernel/http_server.py); docs/performance.md
"The HTTP server and the audit queue" has the route against this app on uvicorn too."""

import asyncio
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, request

app = Quart("plain")


@app.get("/hello/<name>")
async def hello(name: str):
    return {"hello": name}


@app.post("/echo")
async def echo():
    return await request.get_json()


if __name__ == "__main__":
    config = Config()
    config.bind = [f"127.0.0.1:{sys.argv[1]}"]
    config.accesslog = None
    asyncio.run(serve(app, config))
