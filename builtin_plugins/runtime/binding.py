"""Host side of $service, $router and $logger: the routes a service declares are reported."""

from builtin_plugins.runtime.sdk import Binding


def binding(ctx) -> Binding:
    routes: list[dict] = []
    ctx.report["routes"] = routes

    def route(method: str, pattern: str) -> None:
        routes.append({"method": method, "path": pattern})

    return Binding(operations={"route": route})
