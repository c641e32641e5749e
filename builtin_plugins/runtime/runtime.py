"""Host side of $service, $router and $logger: the routes a service declares are reported."""

from pathlib import Path

from kernel.runtime.sandbox import Binding

PRELUDE = (Path(__file__).parent / "prelude.js").read_text()
TYPINGS = (Path(__file__).parent / "typings.d.ts").read_text()


def binding(ctx) -> Binding:
    routes: list[dict] = []
    ctx.report["routes"] = routes

    def route(method: str, pattern: str) -> None:
        routes.append({"method": method, "path": pattern})

    return Binding(name="runtime", prelude=PRELUDE, operations={"route": route})
