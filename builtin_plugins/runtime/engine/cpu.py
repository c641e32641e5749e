"""The CPU bound of workers (docs/runtime/process.md "CPU"): each may use its share of the cores.

Each worker has a credit of CPU-seconds: it earns `share` per second, up to `share x window` (what
it starts with), and spends the CPU it uses (utime + stime of all its threads, /proc/PID/stat).
While it has credit it runs freely: a burst costs nothing. Once the credit is spent it is
*throttled*: held at its share until it has earned the whole credit back (it used less than its
share for long enough). A worker held at its share for `restart_after` seconds without answering
a request (a busy loop in a timer: nobody waits for that work) is restarted through the crash
path. One that answers requests stays, held at its share: it is busy, not runaway, and a restart
would fail its users while its share already protects the other services.

What holds a throttled worker at its share: a delegated cgroup v2 with the cpu controller
(cgroup.py) when the machine offers one, the kernel applying `cpu.max`; otherwise a duty cycle
from here, SIGSTOP until its credit is back to zero, SIGCONT, checked every TICK (signals go
through a pidfd, so none reaches a process that got a reused pid). Either way every worker runs
at nice `runtime.cpu_nice` (set in the worker, worker.limit_cpu): the server, where this watch
runs, is served before any worker, however many of them spin.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from dataclasses import dataclass

from .cgroup import Cgroups, CgroupUnavailable, find

log = logging.getLogger("m3m.runtime")

MIN_SHARE = 0.1  # cores; below it the duty cycle would stop a worker for seconds at a time
LAST_NICE = 19  # a throttled worker's: whatever else wants the core goes first
TICK = 0.05  # seconds a throttled worker may run between two looks at its credit
SMOOTHING = 2.0  # seconds: the time constant of the usage the runtime state shows
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def checked_share(value: float) -> float:
    """A share of the cores as the settings and a project may give it: 0 (no bound) or at least
    MIN_SHARE; ValueError else."""
    if 0 < value < MIN_SHARE:
        raise ValueError(f"must be 0 (no bound) or at least {MIN_SHARE} cores")
    return float(value)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of the process so far (every thread), None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return None


@dataclass
class Account:
    """One worker's CPU credit, and what the runtime state shows of it."""

    share: float | None  # cores; None: no bound
    window: float
    used: float  # its CPU-seconds at the last reading
    at: float  # time.monotonic() of that reading
    credit: float = 0.0
    usage: float = 0.0  # cores, smoothed over SMOOTHING seconds
    throttled_since: float | None = None
    quiet_since: float = 0.0  # throttled and no request answered since then
    requests_seen: int = 0
    reason: str | None = None
    pidfd: int | None = None
    in_cgroup: bool = False
    holder: asyncio.Task | None = None  # the duty cycle of a throttled worker (no cgroup)

    @property
    def capacity(self) -> float:
        return (self.share or 0.0) * self.window

    def update(self, pid: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        used = cpu_seconds(pid)
        elapsed = now - self.at
        if used is None or elapsed <= 0:
            return
        spent = max(0.0, used - self.used)
        self.used, self.at = used, now
        self.usage += (spent / elapsed - self.usage) * min(1.0, elapsed / SMOOTHING)
        if self.share is not None:
            self.credit = min(self.capacity, self.credit + self.share * elapsed - spent)


def cpu_state(share: float | None, account: Account | None) -> dict:
    """The runtime state's `cpu`: {share, usage, throttled, reason}."""
    throttled = account is not None and account.throttled_since is not None
    return {
        "share": share,
        "usage": round(account.usage, 2) if account else 0.0,
        "throttled": throttled,
        "reason": account.reason if throttled else None,
    }


class CpuGuard:
    """The supervisor's CPU watch: an Account per worker taken for a service (`worker.cpu`)."""

    def __init__(self, runtime, event) -> None:
        self.runtime = runtime  # the [runtime] settings
        self.event = event  # event(service, level, message): a line in the service's log
        self.cgroups: Cgroups | None = None
        self.left: dict[str, tuple[float, float]] = {}  # project id -> (credit, when) its last worker left

    def open(self) -> None:
        """Decide once what holds throttled workers here, and say it in the server log."""
        why = "runtime.cpu_cgroup is false"
        if self.runtime.cpu_cgroup:
            try:
                cgroups = Cgroups(find())
                cgroups.prepare()
                self.cgroups = cgroups
            except CgroupUnavailable as exc:
                why = str(exc)
            except OSError as exc:
                why = f"the delegated cgroup v2 could not be set up: {exc}"
        if self.cgroups:
            log.info("runtime: CPU shares held by cgroup v2 cpu.max under %s", self.cgroups.root)
        else:
            log.info("runtime: CPU shares held by a SIGSTOP/SIGCONT duty cycle (%s)", why)

    def place(self, service, worker, share: float | None) -> None:
        """A worker taken for a service, with the credit its project's last worker left (earning
        since): a restart (a crash, a kill, a restart through the API) is no way to a fresh
        credit. The first worker of a project since the server started gets a full one."""
        now = time.monotonic()
        account = Account(share, self.runtime.cpu_window, cpu_seconds(worker.pid) or 0.0, now)
        left = self.left.pop(service.id, None)
        account.credit = account.capacity if left is None else min(account.capacity, left[0] + (share or 0.0) * (now - left[1]))
        try:
            account.pidfd = os.pidfd_open(worker.pid)
        except OSError:
            pass  # it ended already: its reaper comes next
        if self.cgroups is not None:
            try:
                self.cgroups.adopt(worker.pid)
                account.in_cgroup = True
            except OSError as exc:  # it stays in the server's cgroup; the duty cycle holds it
                log.warning("runtime: worker %s could not get a cgroup (%s): its share is held by signals", worker.pid, exc)
        worker.cpu = account

    def set_share(self, service, worker, share: float | None) -> None:
        """A new share for a running worker (its project's changed). Its credit stays what it was
        (no more than the new share's): a change of share must not be a way to a fresh credit."""
        account = worker.cpu
        if account is None:
            return
        account.share = share
        account.credit = min(account.credit, account.capacity)
        if account.throttled_since is None:
            return
        if share is None:
            self._release(service, worker, account, "its project's CPU share was lifted")
        elif account.in_cgroup:
            self._limit(worker, share)

    def watch(self, service, worker) -> str | None:
        """Every WATCH_SECONDS: the account brought up to date, the worker throttled or released;
        the reason to restart it when it has been held at its share too long for nothing."""
        account = worker.cpu
        if account is None or not worker.alive:
            return None
        now = time.monotonic()
        account.update(worker.pid, now)
        if account.share is None:
            return None
        if account.throttled_since is None:
            if account.credit < 0:
                self._throttle(service, worker, account, now)
            return None
        if account.credit >= account.capacity:
            self._release(service, worker, account, f"its use fell below its share of {account.share:g} cores")
            return None
        if worker.requests != account.requests_seen:  # it answers requests: busy, not runaway
            account.requests_seen, account.quiet_since = worker.requests, now
        after = self.runtime.cpu_restart_after
        if after and now - account.quiet_since >= after:
            return f"held at its CPU share of {account.share:g} cores for {after:g}s without answering a request (a busy loop?)"
        return None

    def forget(self, service, worker) -> None:
        """The worker ended: its credit is kept for the project's next one; its duty cycle, pidfd
        and cgroup go."""
        account, worker.cpu = worker.cpu, None
        if account is None:
            return
        if account.share is not None:
            self.left[service.id] = (account.credit, account.at)
        account.throttled_since = None
        if account.holder is not None and not account.holder.done():
            # The holder's last SIGCONT goes through the pidfd: closed only once it is done.
            account.holder.add_done_callback(lambda _task: _close(account))
            account.holder.cancel()
        else:
            _close(account)
        if account.in_cgroup and self.cgroups is not None:
            self.cgroups.remove(worker.pid)

    # -- internals -----------------------------------------------------------------------------

    def _throttle(self, service, worker, account: Account, now: float) -> None:
        account.throttled_since = account.quiet_since = now
        account.requests_seen = worker.requests
        account.reason = (
            f"over its CPU share of {account.share:g} cores (using {account.usage:.2f} cores; its burst "
            f"credit of {account.capacity:g} CPU-s spent)"
        )
        self.event(service, "WARN", f"throttled (pid {worker.pid}): {account.reason}; held at its share")
        if account.in_cgroup:
            self._limit(worker, account.share)
        else:
            _renice(worker.pid, LAST_NICE)
            account.holder = asyncio.create_task(self._hold(worker, account))

    def _release(self, service, worker, account: Account, why: str) -> None:
        account.throttled_since = None
        account.reason = None
        self.event(service, "INFO", f"no longer throttled (pid {worker.pid}): {why}")
        if account.in_cgroup:
            self._limit(worker, None)
        else:
            _renice(worker.pid, self.runtime.cpu_nice)
            if account.holder is not None:
                account.holder.cancel()  # its `finally` lets the worker go on
                account.holder = None

    def _limit(self, worker, share: float | None) -> None:
        try:
            self.cgroups.limit(worker.pid, share)
        except OSError as exc:
            log.warning("runtime: cpu.max of worker %s could not be written: %s", worker.pid, exc)

    async def _hold(self, worker, account: Account) -> None:
        """The duty cycle: stopped while its credit is below zero, running TICK between looks."""
        stopped = False
        try:
            while account.throttled_since is not None and worker.alive and account.share:
                account.update(worker.pid)
                if account.credit < 0:
                    if not stopped:
                        stopped = _signal(account, signal.SIGSTOP)
                    await asyncio.sleep(max(TICK / 5, -account.credit / account.share))
                else:
                    if stopped:
                        _signal(account, signal.SIGCONT)
                        stopped = False
                    await asyncio.sleep(TICK)
        finally:
            if stopped:
                _signal(account, signal.SIGCONT)


def _signal(account: Account, signum: int) -> bool:
    if account.pidfd is None:
        return False
    try:
        signal.pidfd_send_signal(account.pidfd, signum)
        return True
    except OSError:  # it ended
        return False


def _renice(pid: int, nice: int) -> None:
    """The nice value of the worker's main thread, where its JS runs. Back to a lower value needs
    CAP_SYS_NICE (or RLIMIT_NICE): a server without it leaves a released worker at LAST_NICE
    until it is replaced (a recycle, a restart)."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    except OSError:
        pass


def _close(account: Account) -> None:
    if account.pidfd is not None:
        os.close(account.pidfd)
        account.pidfd = None
