"""Host side of $service, $router and $logger: the routes a service declares are reported, and
its pending timers keep it awake (sleep when idle)."""

from builtin_plugins.runtime.sdk import Binding


def binding(ctx) -> Binding:
    routes: list[dict] = []
    ctx.report["routes"] = routes

    def route(method: str, pattern: str) -> None:
        routes.append({"method": method, "path": pattern})

    bound = Binding(operations={"route": route})

    async def awake() -> str | None:
        timers = await bound.call_js("pendingTimers")
        return f"{timers} timers pending" if timers else None

    bound.awake = awake
    return bound
