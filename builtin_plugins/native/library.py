"""One native plugin library: loaded with cffi in ABI mode (dlopen, no compiler), checked against
native_plugins/include/m3m_plugin.h (the ABI version, the four symbols, the manifest), and
called. Anything wrong is a `Broken` with one line saying what, never an exception of cffi's.

Loading runs the library's constructors and calling runs its code in this process, with all
its rights: only the worker that needs a plugin loads it, and the server inspects libraries in
a child process (inspect.py), never in itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cffi

ABI_VERSION = 1  # M3M_PLUGIN_ABI_VERSION of native_plugins/include/m3m_plugin.h
CDEF = """
int m3m_plugin_abi_version(void);
const char *m3m_plugin_manifest(void);
int m3m_plugin_call(const char *name, const char *json_in, char **json_out);
void m3m_plugin_free(void *ptr);
"""
SYMBOLS = ("m3m_plugin_abi_version", "m3m_plugin_manifest", "m3m_plugin_call", "m3m_plugin_free")
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
FUNCTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_MANIFEST = 256 * 1024

_ffi = cffi.FFI()
_ffi.cdef(CDEF)


class Broken(Exception):
    """The library cannot be used; the message says why in one line."""


class Library:
    """A loaded, checked plugin: `manifest` (its JSON, checked) and `call(function, args_json)`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.lib = _ffi.dlopen(str(self.path))
        except OSError as exc:  # not an ELF file, a missing dependency, the wrong architecture
            # cffi adds a note on ctypes.util.find_library, which a path does not need
            raise Broken(f"cannot be loaded: {_one_line(exc).split('. Additionally, ctypes')[0]}") from None
        missing = [symbol for symbol in SYMBOLS if not _has(self.lib, symbol)]
        if missing:
            raise Broken(f"does not export {', '.join(missing)} (see m3m_plugin.h)")
        abi = self.lib.m3m_plugin_abi_version()
        if abi != ABI_VERSION:
            raise Broken(f"was built for ABI version {abi}; this m3m loads version {ABI_VERSION} (rebuild it against m3m_plugin.h)")
        pointer = self.lib.m3m_plugin_manifest()
        if pointer == _ffi.NULL:
            raise Broken("m3m_plugin_manifest() returned NULL")
        self.manifest = check_manifest(_ffi.string(pointer, MAX_MANIFEST))
        self.name = self.manifest["name"]
        self.entries = {function["name"]: _entry(self.lib, self.name, function["name"]) for function in self.manifest["functions"]}

    def call(self, function: str, args_json: str) -> tuple[bool, str | None]:
        """(ok, text): the result's JSON text, or the plugin's error message (None if it gave none)."""
        out = _ffi.new("char **")
        status = self.entries[function](args_json.encode(), out)
        text = None
        if out[0] != _ffi.NULL:
            try:
                text = _ffi.string(out[0]).decode("utf-8", "replace")
            finally:
                self.lib.m3m_plugin_free(out[0])
        return status == 0, text


def _entry(lib, plugin: str, function: str):
    """The C call of one function, made by a Python function of its own whose code is named
    `plugin.function` in the file `<native plugin plugin>`: a crash inside the call shows that
    frame in the dump faulthandler writes to stderr, and the supervisor's crash report names it."""
    namespace = {"call_c": lib.m3m_plugin_call, "name": function.encode()}
    source = "def entry(args, out):\n    return call_c(name, args, out)\n"
    exec(compile(source, f"<native plugin {plugin}>", "exec"), namespace)
    entry = namespace["entry"]
    entry.__code__ = entry.__code__.replace(co_name=f"{plugin}.{function}", co_qualname=f"{plugin}.{function}")
    return entry


def _has(lib, symbol: str) -> bool:
    try:
        getattr(lib, symbol)
        return True
    except (AttributeError, cffi.FFIError, NotImplementedError):
        return False


def check_manifest(raw: bytes) -> dict:
    """The manifest as a dict with the keys m3m relies on checked; Broken otherwise."""
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Broken(f"its manifest is not JSON: {_one_line(exc)}") from None
    if not isinstance(manifest, dict):
        raise Broken("its manifest is not a JSON object")
    name = manifest.get("name")
    if not isinstance(name, str) or not PLUGIN_NAME.match(name):
        raise Broken(f"its manifest's name {name!r} is not [a-z][a-z0-9_]* (at most 32 characters)")
    if not isinstance(manifest.get("version"), str):
        raise Broken("its manifest has no version (a string)")
    functions = manifest.get("functions")
    if not isinstance(functions, list) or not functions:
        raise Broken("its manifest lists no functions")
    seen = set()
    for function in functions:
        fname = function.get("name") if isinstance(function, dict) else None
        if not isinstance(fname, str) or not FUNCTION_NAME.match(fname) or fname in seen:
            raise Broken(f"its manifest has a function without a valid, unique name: {fname!r}")
        seen.add(fname)
        if not isinstance(function.get("typescript", ""), str):
            raise Broken(f"the typescript of {fname} is not a string")
    return manifest


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
