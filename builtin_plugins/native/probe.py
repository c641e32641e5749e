"""`python -m builtin_plugins.native.probe LIBRARY`: load one native library in this throwaway
process and print what the server needs to know as one JSON line, {"manifest": ...} or
{"broken": reason}. The server never loads a library into itself: a constructor that crashes or
hangs costs this process only (catalogue.py reads how it ended)."""

from __future__ import annotations

import json
import sys

from .library import Broken, Library


def main(path: str) -> None:
    try:
        answer = {"manifest": Library(path).manifest}
    except Broken as exc:
        answer = {"broken": str(exc)}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1])
