"""The [hello] settings section, checked at start: an unknown key or a bad value stops m3m with
one line naming it."""

from pydantic import Field

from kernel.settings import Int, Section


class HelloSettings(Section):
    greeting: str = Field("Hello", min_length=1, max_length=40)  # how greetings start
    max_name: Int = Field(60, ge=1, le=1000)  # longest name greeted; longer is a 422
