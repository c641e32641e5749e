"""Host side of $goals: increment and read the project's goals through GoalService on the
worker's own database connection. Only JSON crosses: a slug and numbers in, numbers out.

Which goals a service reaches, the step and the period are GoalService's rules, the same as the
REST API's; reading follows the writing rule, so a service never learns about goals it could
not count into.
"""

from __future__ import annotations

from builtin_plugins.runtime.sdk import Binding

from .service import GoalService, period


def binding(ctx) -> Binding:
    goals = GoalService(ctx.db)

    async def increment(ref, value=1) -> int:
        return await goals.increment(await goals.writable_goal(ctx.project, ref), ctx.project["id"], value)

    async def get(ref, start=None, end=None) -> dict:
        first, last = period(start, end)
        return await goals.statistics(await goals.writable_goal(ctx.project, ref), first, last)

    return Binding(operations={"increment": increment, "get": get}, writes=frozenset({"increment"}))
