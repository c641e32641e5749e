"""Host side of $hello, in the service's worker: `greet(name)` as a host operation (JSON in,
JSON out, refusals with Refused), the greeting handed to the prelude once as `data`, and the
declarations that depend on the project (`project_typings`, run in the server for the editor)."""

import json

from builtin_plugins.runtime.sdk import Binding

from .greeting import greet


def binding(ctx):
    settings = ctx.settings.hello  # the checked settings, in the worker as plain values

    def greet_operation(name):
        return {"text": greet(settings.greeting, name, settings.max_name), "project": ctx.project["slug"]}

    return Binding(operations={"greet": greet_operation}, data={"greeting": settings.greeting})


def project_typings(app, project) -> str:
    # The project's slug as a literal type: the editor knows `$hello.project` exactly.
    return f"interface HelloProject {{ readonly slug: {json.dumps(project['slug'])} }}\n"
