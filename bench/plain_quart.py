"""The baseline of `make bench`: a plain Quart app with the JS route's handler, in its own
Hypercorn process (`python bench/plain_quart.py PORT`), configured as m3m serves (no access log)."""

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
