"""Host side of $goals: increment and read the project's goals through GoalService on the
worker's own database connection. Only JSON crosses: a slug and numbers in, numbers out.

Which goals a service reaches is the REST increment's rule (GoalService.writable_goal): its
project's own goals, and the global goals that list the project in allowedProjects. Reading
follows the same rule, so a service never learns about goals it could not count into.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from kernel.runtime.sandbox import Binding

from kernel.errors import Refused

from .service import GoalService, now

PRELUDE = (Path(__file__).parent / "prelude.js").read_text()
TYPINGS = (Path(__file__).parent / "typings.d.ts").read_text()

MAX_STEP = 1_000_000_000  # as POST .../goals/{goal}/increment
MAX_PERIOD_DAYS = 366  # as GET /api/goals/stats
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def refusal(exc: Refused) -> Exception:
    """A refusal -> the errors whose message crosses the boundary as it is (sandbox._message)."""
    return LookupError(str(exc)) if exc.status == 404 else PermissionError(str(exc))


class GoalsHost:
    def __init__(self, ctx) -> None:
        self.goals = GoalService(ctx.db)
        self.project = ctx.project

    async def goal(self, ref) -> dict:
        """The goal named by an id, the project's own key or full slug ({project}-{key}), or a
        global goal's slug; refused (LookupError / PermissionError) when the project may not write."""
        if not isinstance(ref, str) or not ref:
            raise TypeError("the goal must be a slug (a non-empty string)")
        try:
            return await self.goals.writable_goal(self.project["id"], ref)
        except Refused as exc:
            prefix = self.project["slug"] + "-"
            if exc.status == 404 and ref.startswith(prefix):
                # The public slug of a project goal; only this project's own keys, never a global one.
                doc = await self.goals.find_key(ref[len(prefix):], self.project["id"])
                if doc is not None:
                    return doc
            raise refusal(exc) from None

    async def increment(self, ref, value=1) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_STEP:
            raise TypeError(f"the value must be an integer between -{MAX_STEP} and {MAX_STEP}")
        return await self.goals.increment(await self.goal(ref), self.project["id"], value)

    async def get(self, ref, start=None, end=None) -> dict:
        end = day(end, "to", now().date())
        start = day(start, "from", end - timedelta(days=29))
        if start > end:
            raise ValueError("from must not be after to")
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise ValueError(f"the period is at most {MAX_PERIOD_DAYS} days")
        return await self.goals.statistics(await self.goal(ref), start, end)


def day(value, name: str, default: date) -> date:
    if value is None:
        return default
    if isinstance(value, str) and DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{name} must be a date YYYY-MM-DD (or a Date)")


def binding(ctx) -> Binding:
    host = GoalsHost(ctx)
    return Binding(name="goals", prelude=PRELUDE, operations={"increment": host.increment, "get": host.get})
