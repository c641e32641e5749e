"""$delayed (a pool of delayed.pool_size) and $schedule (APScheduler in the worker) in real
workers over real HTTP: the pool bounds concurrency (seen in the order of the service's log
lines), failing tasks and jobs are logged and the service goes on, jobs fire and end with the run,
and cron expressions mean what crontab says (checked against a brute-force matcher here)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from conftest import ROOT_EMAIL, ROOT_PASSWORD, Server, free_port, login, server_env
from runtime_support import new_service, tsc

POOL_SIZE = 3  # the dedicated server's delayed.pool_size (the default is 4)


def messages(lines: list[str]) -> list[str]:
    """The message part of `[time] [LEVEL] message` lines."""
    return [line.split("] ", 2)[2] for line in lines]


# -- $delayed, on a server whose pool size we set --------------------------------------------------


@pytest.fixture(scope="module")
def pool_server(server, mongo_uri, tmp_path_factory):
    """A second server on the same database (its root comes from the shared `server` fixture)."""
    workdir = tmp_path_factory.mktemp("pool-server")
    env = server_env(workdir / "storage", free_port(), mongo_uri, M3M_DELAYED__POOL_SIZE=str(POOL_SIZE))
    own = Server(env, workdir).wait_ready()
    with httpx.Client(base_url=own.url, timeout=30) as http:
        yield http, login(http, ROOT_EMAIL, ROOT_PASSWORD)
    own.stop()


DELAYED_SERVICE = """
$router.post('/burst', async (ctx) => {
  const tasks = Array.from({ length: ctx.body.n }, (_, i) => $delayed.run(async () => {
    $logger.info('task start ' + i);
    await new Promise((r) => setTimeout(r, 100));
    $logger.info('task end ' + i);
    return i * 2;
  }));
  const stats = $delayed.stats();
  return { results: await Promise.all(tasks), poolSize: $delayed.poolSize, stats };
});
$router.post('/mixed', async () => {
  const t0 = Date.now();
  const late = $delayed.run(() => Date.now() - t0, { delayMs: 300 });
  $delayed.run(() => { throw new RangeError('task boom nobody awaits'); });
  let caught = null;
  try { await $delayed.run(async () => { await null; throw new Error('awaited boom'); }); } catch (e) { caught = e.message; }
  return { waited: await late, caught };
});
$router.post('/bad', () => {
  const out = [];
  for (const call of [() => $delayed.run(5), () => $delayed.run(() => 1, { delayMs: -1 }),
                      () => $delayed.run(() => 1, { delayMs: '10' }), () => $delayed.run(() => 1, 'soon')]) {
    try { call(); out.push(null); } catch (e) { out.push(e.name + ': ' + e.message); }
  }
  return out;
});
$router.get('/ping', () => ({ pong: true }));
"""


@pytest.fixture(scope="module")
def delayed_service(pool_server):
    http, headers = pool_server
    service = new_service(http, headers)
    service.deploy(DELAYED_SERVICE)
    yield service
    service.stop()


def test_the_pool_bounds_how_many_tasks_run_at_once(delayed_service):
    service = delayed_service
    answer = service.client.post(service.bot("/burst"), json={"n": 10}).json()
    assert answer["results"] == [i * 2 for i in range(10)]  # each task's result, through its Promise
    assert answer["poolSize"] == POOL_SIZE
    service.wait_log("task end 9")
    lines = [m for m in messages(service.logs()) if m.startswith("task ")]
    running, most = 0, 0
    for message in lines:  # the service's own log, in the order things happened
        running += 1 if message.startswith("task start") else -1
        most = max(most, running)
    assert most == POOL_SIZE, lines
    assert len(lines) == 20 and running == 0


def test_a_failing_task_is_logged_with_its_stack_and_the_service_goes_on(delayed_service):
    service = delayed_service
    answer = service.client.post(service.bot("/mixed")).json()
    assert answer["caught"] == "awaited boom"  # an awaited task rejects its Promise
    assert answer["waited"] >= 290  # delayMs is honoured (a lower bound only)
    logged = service.wait_log("failed: RangeError: task boom nobody awaits")[0]
    assert re.search(r"\$delayed task \d+ failed: RangeError: task boom nobody awaits", logged)
    full = "\n".join(service.logs())
    assert "release-" in full.split("task boom nobody awaits", 1)[1]  # the JS stack names the service's file
    assert "[ERROR] $delayed task" in full and "awaited boom" in full
    assert service.client.get(service.bot("/ping")).json() == {"pong": True}
    assert service.state()["state"] == "running"


def test_bad_delayed_input_is_a_type_error(delayed_service):
    out = delayed_service.client.post(delayed_service.bot("/bad")).json()
    assert out[0] == "TypeError: $delayed.run: fn must be a function, got number 5"
    assert out[1].startswith("TypeError: $delayed.run: options.delayMs must be a number of milliseconds >= 0")
    assert out[2].startswith("TypeError: $delayed.run: options.delayMs")
    assert out[3].startswith("TypeError: $delayed.run: options must be an object")


# -- $schedule -------------------------------------------------------------------------------------


@pytest.fixture
def service(client, root_headers):
    deployed = new_service(client, root_headers)
    yield deployed
    deployed.stop()


def test_every_second_fires_repeatedly_and_ends_with_the_run(service):
    service.deploy(
        """
        let n = 0;
        const job = $schedule.every('1s', () => { n += 1; $logger.info('tick ' + n); });
        $logger.info('registered ' + job.id + ' ' + job.description);
        $service.shutdown(async () => {
          $logger.info('shutdown begins');
          await new Promise((r) => setTimeout(r, 1500));
          $logger.info('shutdown ends');
        });
        $router.get('/n', () => ({ n }));
        """
    )
    service.wait_log("tick 3", timeout=20)
    assert service.client.get(service.bot("/n")).json()["n"] >= 3
    assert service.stop()["state"] == "stopped"
    log = messages(service.logs())
    assert "registered job-1 every 1s" in log
    begins, ends = log.index("shutdown begins"), log.index("shutdown ends")
    assert not [m for m in log[begins:ends] if m.startswith("tick")], "a job ran while the service was stopping"
    ticks = len([m for m in log if m.startswith("tick")])
    time.sleep(1.5)
    assert len([m for m in messages(service.logs()) if m.startswith("tick")]) == ticks  # nothing after the run


def test_a_throwing_job_is_logged_and_the_service_keeps_running(service):
    service.deploy(
        """
        $schedule.every('1s', () => { throw new Error('job boom'); });
        $schedule.every('1s', async () => { await null; throw new TypeError('async job boom'); });
        $router.get('/up', () => ({ up: true }));
        """
    )
    failures = service.wait_for(
        lambda: [line for line in service.logs() if "failed: Error: job boom" in line][1:], 20, "two failures of the same job"
    )
    assert re.search(r"\[ERROR\] \$schedule job job-1 \(every 1s\) failed: Error: job boom", failures[0])
    full = "\n".join(service.logs())
    assert "$schedule job job-2 (every 1s) failed: TypeError: async job boom" in full
    assert "release-" in full.split("job boom", 1)[1]  # with the JS stack
    assert service.client.get(service.bot("/up")).json() == {"up": True}
    assert service.state()["state"] == "running"


REGISTER_SERVICE = """
$router.post('/register', (ctx) => {
  const { kind, spec } = ctx.body;
  try {
    const job = kind === 'daily' || kind === 'hourly' ? $schedule[kind](() => {}) : $schedule[kind](spec, () => {});
    const out = { id: job.id, description: job.description, nextRun: job.nextRun() };
    out.cancelled = [job.cancel(), job.cancel()];
    out.afterCancel = job.nextRun();
    return { ok: out };
  } catch (e) {
    return { error: { name: e.name, message: e.message } };
  }
});
$router.post('/later', () => {
  let n = 0;
  return { id: $schedule.every('1s', () => { n += 1; $logger.info('late tick ' + n); }).id };
});
$router.post('/not-a-function', () => {
  try { $schedule.every('1s', 'tick'); } catch (e) { return { name: e.name, message: e.message }; }
});
"""

DOW = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


def field_values(field: str, low: int, high: int, names: dict | None = None) -> set[int]:
    """A crontab field as the set of values it allows (the oracle: plain crontab semantics)."""
    values: set[int] = set()
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            first, last = low, high
        else:
            ends = [int(names.get(v, v)) if names else int(v) for v in base.split("-")]
            first, last = ends[0], ends[-1]
        values.update(range(first, last + 1, int(step or 1)))
    return values


def crontab_next(expression: str, after: datetime) -> datetime:
    """The first minute after `after` that the expression matches, by trying every minute."""
    minute, hour, day, month, weekday = expression.split()
    allowed = (field_values(minute, 0, 59), field_values(hour, 0, 23), field_values(day, 1, 31),
               field_values(month, 1, 12), {d % 7 for d in field_values(weekday, 0, 7, DOW)})
    when = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(60 * 24 * 400):
        if (when.minute in allowed[0] and when.hour in allowed[1] and when.day in allowed[2]
                and when.month in allowed[3] and (when.weekday() + 1) % 7 in allowed[4]):
            return when
        when += timedelta(minutes=1)
    raise AssertionError(f"{expression} never matches")


@pytest.fixture(scope="module")
def register(client, root_headers):
    deployed = new_service(client, root_headers)
    deployed.deploy(REGISTER_SERVICE)

    def call(kind: str, spec: str | None = None) -> tuple[dict, datetime, datetime]:
        before = datetime.now(timezone.utc)
        answer = client.post(deployed.bot("/register"), json={"kind": kind, "spec": spec}).json()
        return answer, before, datetime.now(timezone.utc)

    call.service = deployed
    yield call
    deployed.stop()


@pytest.mark.parametrize(
    "expression",
    ["*/5 * * * *", "0 9 * * 1", "0 0 * * 0", "15 3 * * 7", "30 2 1 * *", "0 12 * * 1-5", "0 18 * * 5-7",
     "0 6 * * */2", "0 8-10,14 * * mon,wed", "45 23 * * sat", "0 0 1 1 *"],
)
def test_cron_expressions_mean_what_crontab_says(register, expression):
    answer, before, after = register("cron", expression)
    job = answer["ok"]
    assert job["description"] == f"cron {expression}"
    next_run = datetime.fromisoformat(job["nextRun"])
    assert next_run in (crontab_next(expression, before), crontab_next(expression, after))
    assert job["cancelled"] == [True, False] and job["afterCancel"] is None


@pytest.mark.parametrize(
    "kind, spec, description, expected",
    [
        ("daily", None, "daily at 00:00 UTC", "0 0 * * *"),
        ("hourly", None, "hourly at :00", "0 * * * *"),
        ("cron", "@hourly", "cron @hourly", "0 * * * *"),
        ("cron", "@weekly", "cron @weekly", "0 0 * * 0"),
    ],
)
def test_daily_hourly_and_aliases(register, kind, spec, description, expected):
    answer, before, after = register(kind, spec)
    assert answer["ok"]["description"] == description
    assert datetime.fromisoformat(answer["ok"]["nextRun"]) in (crontab_next(expected, before), crontab_next(expected, after))


@pytest.mark.parametrize("spec, seconds", [("1s", 1), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("2d", 172800)])
def test_every_intervals(register, spec, seconds):
    answer, before, after = register("every", spec)
    next_run = datetime.fromisoformat(answer["ok"]["nextRun"])
    assert answer["ok"]["description"] == f"every {spec}"
    assert before + timedelta(seconds=seconds) - timedelta(seconds=1) <= next_run <= after + timedelta(seconds=seconds, milliseconds=100)


@pytest.mark.parametrize(
    "kind, spec, needle",
    [
        ("every", "5x", "$schedule.every: '5x' is not an interval; write a number and a unit (s, m, h, d)"),
        ("every", "", "$schedule.every: '' is not an interval"),
        ("every", "0s", "$schedule.every: '0s' is out of range (1s to 366d)"),
        ("every", "400d", "is out of range"),
        ("cron", "61 * * * *", "$schedule.cron: '61 * * * *' is not a cron expression"),
        ("cron", "* * * *", "it has 4 fields, not 5 (minute hour day month weekday)"),
        ("cron", "0 0 * * 8", "'8' is not a weekday (0-7 or sun-sat)"),
        ("cron", "0 25 * * *", "is not a cron expression"),
        ("cron", "0 0 * 13 *", "is not a cron expression"),
        ("cron", "every day", "it has 2 fields"),
        ("cron", "@sometimes", "is not a cron expression"),
    ],
)
def test_a_bad_schedule_throws_at_registration(register, kind, spec, needle):
    answer, _, _ = register(kind, spec)
    assert answer["error"]["name"] == "Error", answer
    assert needle in answer["error"]["message"], answer


def test_wrong_types_are_type_errors(register):
    answer, _, _ = register("every", 5)
    assert answer["error"] == {"name": "TypeError", "message": "$schedule.every: the schedule must be a string, got number"}
    answer = register.service.client.post(register.service.bot("/not-a-function")).json()
    assert answer == {"name": "TypeError", "message": "$schedule.every: fn must be a function, got \"tick\""}
    assert register.service.state()["state"] == "running"


EVERY_CALL = """
/** @type {Promise<number>} */
const result = $delayed.run(async () => 42, { delayMs: 10 });
$delayed.run(() => 'x');
/** @type {number} */
const size = $delayed.poolSize + $delayed.stats().running + $delayed.stats().queued;
const jobs = [$schedule.daily(() => {}), $schedule.hourly(async () => {}), $schedule.every('5m', () => {}),
  $schedule.cron('*/5 * * * *', async () => { await result; })];
/** @type {(string | null)[]} */
const next = jobs.map((job) => job.nextRun());
/** @type {boolean} */
const gone = jobs[0].cancel() && jobs[1].id.length > 0 && jobs[2].description.length > 0;
"""


def test_a_job_registered_after_start_fires(register):
    """The register service has no job of its own: the first one comes from a route."""
    assert register.service.client.post(register.service.bot("/later")).json()["id"].startswith("job-")
    register.service.wait_log("late tick 2", timeout=20)


def test_typings_declare_delayed_and_schedule_and_compile(client, register, tmp_path):
    """The typings of delayed and schedule: every function declared; a service using them compiles."""
    typings = client.get(register.service.api("/runtime/typings"), headers=register.service.headers).text
    assert "declare const $delayed" in typings and "declare const $schedule" in typings
    for fn in ("run", "daily", "hourly", "every", "cron"):
        assert re.search(rf"\b{fn}(<T>)?\(", typings), f"{fn} is not declared"
    result = tsc(tmp_path, typings, EVERY_CALL, strict=True)
    assert result.returncode == 0, result.stdout + result.stderr
    wrong = tsc(tmp_path, typings, strict=True, source="$schedule.every(5, () => {});\n$delayed.run(() => 1, { delay: 5 });\n")
    assert wrong.returncode != 0 and "not assignable" in wrong.stdout
