"""The fork server ("zygote"): one process with everything a worker needs imported except
PythonMonkey, forking a worker per request. A fork costs milliseconds and shares the imported
Python with every worker (copy-on-write), where a spawned worker imports it all again (about a
CPU-second and 30 MB of its own each: docs/performance.md).

PythonMonkey must not be imported here: a fork after `import pythonmonkey` hangs at the child's
first GC (docs/runtime/process.md). Each worker imports it after the fork (~0.2 s).

Process tree. The server is a child subreaper (PR_SET_CHILD_SUBREAPER). The zygote forks an
intermediate that forks the worker and exits at once, so the worker is re-parented to the server:
the server waits for it (pidfd), and its PR_SET_PDEATHSIG follows the server, not the zygote. So
a crash of the zygote costs no running worker, and a killed server leaves none behind.

Protocol on the control socket (AF_UNIX stream): the zygote says `ready\\n` once its imports are
done; each request is one JSON line sent with two descriptors (the worker's channel socket and the
write end of its stderr pipe); each answer is a JSON line `{"pid": N}` or `{"error": "..."}`.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import signal
import socket
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
PR_SET_CHILD_SUBREAPER = 36
REPARENT_TIMEOUT = 5.0


def prctl(option: int, value) -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(option, value, 0, 0, 0)
    except OSError:
        pass


def become_subreaper() -> None:
    """Orphaned descendants (the workers the zygote forks) are re-parented to this process."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)


# -- the zygote process --------------------------------------------------------------------------


def preload() -> None:
    """What every worker imports, but PythonMonkey (see the module docstring)."""
    from . import monkey, worker

    worker.skip_unused_modules()
    monkey.prepare()  # PythonMonkey's JS builtins as one script, read once for every worker
    import kernel.db  # noqa: F401  (pymongo)

    from ..apis import process_apis
    from . import ipc, sandbox  # noqa: F401

    process_apis(json.loads(os.environ.get("M3M_PLUGINS_BLOCKED") or "[]"))
    assert "pythonmonkey" not in sys.modules, "the zygote must not import pythonmonkey (a fork would hang)"


def serve(control: socket.socket, server_pid: int) -> None:
    control.sendall(b"ready\n")
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, 4096, 2)
        except OSError:
            return
        if not data:
            return  # the server closed the socket: it is gone or stopping
        try:
            request = json.loads(data)
            answer = {"pid": fork_worker(control, request, fds, server_pid)}
        except Exception as exc:  # one failed fork must not end the zygote
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            for fd in fds:
                os.close(fd)
        control.sendall(json.dumps(answer).encode() + b"\n")


def fork_worker(control: socket.socket, request: dict, fds: list[int], server_pid: int) -> int:
    if len(fds) != 2:
        raise ValueError("a fork needs the channel socket and the stderr pipe")
    read_end, write_end = os.pipe()
    intermediate = os.fork()
    if intermediate == 0:
        try:
            os.close(read_end)
            worker_pid = os.fork()
            if worker_pid == 0:
                os.close(write_end)
                become_worker(control, request, fds, server_pid)  # never returns
            os.write(write_end, str(worker_pid).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        text = os.read(read_end, 32)
    finally:
        os.close(read_end)
        os.waitpid(intermediate, 0)  # once it is gone, the worker is the server's child
    if not text:
        raise OSError("the fork did not give a worker")
    return int(text)


def become_worker(control: socket.socket, request: dict, fds: list[int], server_pid: int) -> None:
    """In the forked worker: wait to be the server's child, then run as a spawned worker would."""
    status = 1
    try:
        control.close()
        channel_fd, stderr_fd = fds
        os.dup2(stderr_fd, 2)
        os.close(stderr_fd)
        # New file objects on fd 2 (now a pipe) and fd 1: the inherited ones still believe they
        # are the zygote's (seekable) files, and PythonMonkey reconfigures both at import.
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
        deadline = time.monotonic() + REPARENT_TIMEOUT
        while os.getppid() != server_pid:  # the intermediate is exiting
            if time.monotonic() > deadline:
                os._exit(1)
            time.sleep(0.0005)
        for signum in (signal.SIGTERM, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a spawned worker (worker.py): the server stops it
        os.environ["M3M_WORKER_FD"] = str(channel_fd)
        os.environ["M3M_WORKER_PARENT"] = str(server_pid)
        os.environ["M3M_WORKER_RLIMIT_DATA"] = str(int(request.get("rlimit_data", 0)))
        from . import worker

        worker.die_with_parent()
        worker.limit_memory()
        worker.limit_cpu()
        worker.prewarm()
        asyncio.run(worker.main())
        status = 0
    except BaseException:  # noqa: BLE001  (whatever happens, this process ends here)
        import traceback

        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(status)


def main() -> None:
    server_pid = int(os.environ["M3M_WORKER_PARENT"])
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the zygote goes with the server...
    if os.getppid() != server_pid:
        os._exit(0)
    prctl(PR_SET_NAME, b"m3m-zygote")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the server decides
    control = socket.socket(fileno=int(os.environ["M3M_ZYGOTE_FD"]))
    preload()
    serve(control, server_pid)  # ...and ends when the server closes the socket


# -- the server's side ---------------------------------------------------------------------------


class ZygoteUnavailable(Exception):
    """No zygote to fork from (not started, crashed, or it refused): spawn instead."""


class Zygote:
    """The server's handle on one fork server process: started once, asked for workers one at a
    time, closed once; a fork server that died is replaced by a new Zygote, never restarted."""

    def __init__(self, env: dict | None = None) -> None:
        self.env = env or {}  # added to the zygote's environment (and so every worker's)
        self.ready = False
        self.process: asyncio.subprocess.Process | None = None
        self.control: socket.socket | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None  # kept: a collected writer closes the socket
        self._lock = asyncio.Lock()

    @property
    def alive(self) -> bool:
        return self.ready and self.process is not None and self.process.returncode is None and self.control is not None

    async def start(self, timeout: float = 60.0) -> None:
        become_subreaper()
        ours, theirs = socket.socketpair()
        env = {**os.environ, **self.env, "M3M_ZYGOTE_FD": str(theirs.fileno()), "M3M_WORKER_PARENT": str(os.getpid())}
        try:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "builtin_plugins.runtime.engine.zygote",
                pass_fds=[theirs.fileno()], env=env,
                # stderr is the server's: what the zygote itself says (a crash) lands in its log
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        self.control = ours
        self._reader, self._writer = await asyncio.open_connection(sock=ours)
        try:
            line = await asyncio.wait_for(self._reader.readline(), timeout)
        except asyncio.TimeoutError:
            line = b""
        if line != b"ready\n":
            await self.close()
            raise ZygoteUnavailable("the fork server did not start")
        self.ready = True

    async def fork(self, channel_fd: int, stderr_fd: int, rlimit_data: int) -> int:
        """A new worker's pid; the two descriptors are the worker's (this side keeps its own copies)."""
        if not self.alive:
            raise ZygoteUnavailable("no fork server")
        async with self._lock:
            try:
                socket.send_fds(self.control, [json.dumps({"rlimit_data": rlimit_data}).encode()], [channel_fd, stderr_fd])
                line = await asyncio.wait_for(self._reader.readline(), 10)
            except (OSError, asyncio.TimeoutError) as exc:
                await self.close()
                raise ZygoteUnavailable(f"the fork server failed: {exc}") from None
        if not line:
            await self.close()
            raise ZygoteUnavailable("the fork server is gone")
        answer = json.loads(line)
        if "pid" not in answer:
            raise ZygoteUnavailable(f"the fork server refused: {answer.get('error')}")
        return int(answer["pid"])

    async def close(self) -> None:
        self.ready = False
        control, self.control = self.control, None
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        elif control is not None:
            control.close()
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            try:
                process.kill()
            except ProcessLookupError:
                pass
            await process.wait()


if __name__ == "__main__":
    main()
