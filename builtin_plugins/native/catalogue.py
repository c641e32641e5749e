"""What is in the plugins folder, as the server sees it: every `*.so` inspected in a child process
(probe.py), the result kept until the file changes, each row loaded (with its manifest) or broken
(with the reason); the typings of the loaded ones; which projects may use them. The same rules
decide in a worker which libraries it loads (`usable`), so a name the server lists is the name a
service gets."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import sys
from pathlib import Path

log = logging.getLogger("m3m.native")
PROBE_TIMEOUT = 10.0
DECLARED = re.compile(r"declare\s+const\s+\$([A-Za-z0-9_]+)")
# (path, size, mtime, inode) -> the probe's answer: facts about one version of one file, so a
# process-wide memo is safe (the server's listing and typings and `m3m plugins` share it).
_probed: dict[tuple, dict] = {}


def folder_of(settings) -> Path:
    return Path(settings.native.path).resolve()


def libraries(folder: Path) -> list[Path]:
    """The `*.so` files of the folder, by name (none when it does not exist)."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.name.endswith(".so") and path.is_file())


def allowed(settings, project: dict) -> bool:
    names = settings.native.projects
    return "*" in names or project.get("slug") in names or project.get("id") in names


def taken_names(apis) -> set[str]:
    """The `$` globals the runtime's APIs declare ($storage, $router...): no library may take one."""
    return {name for api in apis for name in DECLARED.findall(api.typings)}


def usable(rows: list[dict], taken: set[str]) -> list[dict]:
    """The rows with the later of two libraries of one name, and a name an API has, made broken."""
    owners: dict[str, str] = {}
    for row in rows:
        if row["status"] != "loaded":
            continue
        name = row["name"]
        if name in taken:
            row.update(status="broken", reason=f"its name {name!r} is taken: ${name} is a built-in API")
        elif name in owners:
            row.update(status="broken", reason=f"its name {name!r} is taken by {owners[name]}")
        else:
            owners[name] = row["file"]
    return rows


async def probe(path: Path) -> dict:
    """{"manifest"} or {"broken"} of one library, from a child process."""
    info = path.stat()
    key = (str(path), info.st_size, info.st_mtime_ns, info.st_ino)
    if key in _probed:
        return _probed[key]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "builtin_plugins.native.probe", str(path),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONFAULTHANDLER": ""},
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), PROBE_TIMEOUT)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        answer = {"broken": f"did not load within {PROBE_TIMEOUT:g}s (a constructor that never returns?)"}
    else:
        answer = _answer(out, process.returncode)
    if "broken" in answer:
        log.warning("native plugin %s skipped: %s", path, answer["broken"])
    _probed[key] = answer
    return answer


def _answer(out: bytes, code: int) -> dict:
    if code < 0:
        return {"broken": f"crashed while loading (killed by {signal.Signals(-code).name})"}
    try:
        answer = json.loads(out.decode().strip().splitlines()[-1])
        if isinstance(answer, dict) and ("manifest" in answer or "broken" in answer):
            return answer
    except (ValueError, IndexError):
        pass
    return {"broken": f"could not be inspected (the probe exited with code {code})"}


async def scan(settings, apis) -> list[dict]:
    """One row per library: {file, path, status: loaded|broken, name, version, manifest} or {..., reason}."""
    folder = folder_of(settings)
    paths = libraries(folder)
    answers = await asyncio.gather(*(probe(path) for path in paths))
    rows = []
    for path, answer in zip(paths, answers):
        row = {"file": path.name, "path": str(path)}
        if "manifest" in answer:
            manifest = answer["manifest"]
            row.update(status="loaded", name=manifest["name"], version=manifest["version"], manifest=manifest)
        else:
            row.update(status="broken", reason=answer["broken"])
        rows.append(row)
    return usable(rows, taken_names(apis))


def typings(rows: list[dict]) -> str:
    """`declare const $name: {...}` of each loaded library, from its manifest's declarations."""
    parts = []
    for row in rows:
        if row["status"] != "loaded":
            continue
        manifest = row["manifest"]
        members = []
        for function in manifest["functions"]:
            doc = _doc(function)
            members.append("  /**\n" + "".join(f"   * {line}\n" for line in doc) + "   */\n" if doc else "")
            members[-1] += "  " + (function.get("typescript") or f"{function['name']}(...args: any[]): Promise<any>;").strip() + "\n"
        about = _clean(manifest.get("description") or "")
        head = f"/** {about + ' ' if about else ''}(native plugin {manifest['name']} {_clean(manifest['version'])}, {row['file']}) */\n"
        parts.append(head + f"declare const ${manifest['name']}: {{\n" + "".join(members) + "};\n")
    return "\n".join(parts)


def _doc(function: dict) -> list[str]:
    lines = [_clean(function.get("description") or "")]
    for arg in function.get("args") or []:
        if isinstance(arg, dict) and isinstance(arg.get("name"), str):
            lines.append(f"@param {_clean(arg['name'])} {_clean(arg.get('description') or arg.get('type') or '')}")
    returns = function.get("returns")
    if isinstance(returns, dict) and (returns.get("description") or returns.get("type")):
        lines.append(f"@returns {_clean(returns.get('description') or returns.get('type'))}")
    return [line for line in lines if line]


def _clean(text) -> str:
    """Text safe inside a /** */ comment."""
    return " ".join(str(text).replace("*/", "* /").split())

