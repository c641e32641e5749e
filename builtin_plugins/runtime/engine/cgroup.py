"""A delegated cgroup v2 to hold workers at their CPU share (cpu.py), when the machine offers one.

Found once at start (`find`): the cgroup v2 this server runs in (the `0::` line of
/proc/self/cgroup, under the cgroup2 mount of /proc/self/mountinfo), if its `cgroup.controllers`
lists `cpu` and this process may write it: systemd's `Delegate=yes`, or a container with its own
writable cgroup namespace. Anything less (cgroup v1 for cpu, as on hybrid hosts where the v2
hierarchy has no controllers; no cpu controller; read-only files) is a `CgroupUnavailable` with
the reason, logged once, and the supervisor's duty cycle holds the bound instead.

Layout, under the delegated cgroup D: the kernel lets a cgroup hand controllers to its children
only when it has no processes of its own, so the processes of D (the server, the embedded
database it started) move to the leaf `D/server` and `+cpu` goes into `D/cgroup.subtree_control`;
each worker then gets `D/worker-PID`, whose `cpu.max` is "max" while it has credit and
"QUOTA PERIOD" (its share of each period) while it is throttled, with `cpu.weight` 1 then.
"""

from __future__ import annotations

import os
from pathlib import Path

PERIOD_US = 100_000  # cpu.max's period: the kernel's default
DEFAULT_WEIGHT = 100  # cpu.weight: the kernel's default
THROTTLED_WEIGHT = 1  # the least there is


class CgroupUnavailable(Exception):
    """No delegated cgroup v2 with the cpu controller here; the message says what is missing."""


def find(proc: Path = Path("/proc/self")) -> Path:
    """The delegated cgroup v2 directory this process runs in, or CgroupUnavailable."""
    try:
        mountinfo = (proc / "mountinfo").read_text()
        membership = (proc / "cgroup").read_text()
    except OSError as exc:
        raise CgroupUnavailable(f"cannot read {proc}: {exc}") from None
    # mountinfo: ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER-OPTIONS
    mounts = [line.split() for line in mountinfo.splitlines()]
    mount = next((fields for fields in mounts if "-" in fields and fields[fields.index("-") + 1:][:1] == ["cgroup2"]), None)
    if mount is None:
        raise CgroupUnavailable("no cgroup v2 is mounted")
    path = next((line[3:] for line in membership.splitlines() if line.startswith("0::")), None)
    if path is None:
        raise CgroupUnavailable("this process is in no cgroup v2")
    # The mount may show a subtree (ROOT, a container's bind mount): the path is relative to it.
    mounted = mount[3].rstrip("/")
    if mounted and not (path == mounted or path.startswith(mounted + "/")):
        raise CgroupUnavailable(f"this process's cgroup {path} is outside the mounted cgroup v2 tree {mounted}")
    directory = Path(mount[4]) / path[len(mounted):].lstrip("/")
    try:
        controllers = (directory / "cgroup.controllers").read_text().split()
    except OSError as exc:
        raise CgroupUnavailable(f"cannot read {directory}/cgroup.controllers: {exc.strerror}") from None
    if "cpu" not in controllers:
        raise CgroupUnavailable(f"the cgroup v2 {directory} has no cpu controller (cpu is under cgroup v1, or not delegated)")
    for target in (directory, directory / "cgroup.procs", directory / "cgroup.subtree_control"):
        if not os.access(target, os.W_OK):
            raise CgroupUnavailable(f"{target} is not writable by this server (not delegated to it)")
    return directory


class Cgroups:
    """The workers' cgroups under the delegated directory `root`. Every method may raise OSError."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def prepare(self) -> None:
        """Move this cgroup's processes to the leaf `server` and give the cpu controller to its
        children; remove the empty worker cgroups a killed server left."""
        if "cpu" not in (self.root / "cgroup.subtree_control").read_text().split():
            leaf = self.root / "server"
            leaf.mkdir(exist_ok=True)
            for pid in (self.root / "cgroup.procs").read_text().split():
                try:
                    (leaf / "cgroup.procs").write_text(pid)
                except ProcessLookupError:
                    pass  # it ended meanwhile
            (self.root / "cgroup.subtree_control").write_text("+cpu")
        for stale in self.root.glob("worker-*"):
            try:
                stale.rmdir()
            except OSError:
                pass  # a worker of another server on the same cgroup, or not empty: not ours to take

    def adopt(self, pid: int) -> None:
        """The worker `pid` in a cgroup of its own, unbounded until `limit`."""
        own = self.root / f"worker-{pid}"
        own.mkdir(exist_ok=True)
        (own / "cgroup.procs").write_text(str(pid))

    def limit(self, pid: int, share: float | None) -> None:
        """`share` cores at most from now on, and the least weight beside the other cgroups (what
        nice 19 is to a process: whatever else wants the core goes first); None lifts both."""
        own = self.root / f"worker-{pid}"
        quota = "max" if share is None else str(max(1000, round(share * PERIOD_US)))
        (own / "cpu.max").write_text(f"{quota} {PERIOD_US}")
        (own / "cpu.weight").write_text(str(DEFAULT_WEIGHT if share is None else THROTTLED_WEIGHT))

    def remove(self, pid: int) -> None:
        """The cgroup of an ended worker (the kernel refuses while a process is in it)."""
        try:
            (self.root / f"worker-{pid}").rmdir()
        except OSError:
            pass
