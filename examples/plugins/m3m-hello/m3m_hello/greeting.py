"""The one rule of the plugin, shared by its REST route and its `$hello` binding."""

from kernel.errors import Refused


def greet(greeting: str, name, max_name: int) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Refused(422, "name: say who to greet", field="name")
    if len(name) > max_name:
        raise Refused(422, f"name: at most {max_name} characters (hello.max_name)", field="name")
    return f"{greeting}, {name.strip()}!"
