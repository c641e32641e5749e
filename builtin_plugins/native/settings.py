"""The native plugin loader's settings section [native]."""

from pydantic import Field

from kernel.settings import Section


class NativeSettings(Section):
    path: str = "./plugins"  # the folder of the *.so libraries (relative to the server's working directory)
    projects: list[str] = Field(default_factory=lambda: ["*"])  # slugs or ids of the projects whose services load them; "*" is every project
