"""The 16 named colors a project carries (or null): name -> hex. Public: other features whose
things carry a color (goals) import it from here, so that one palette is offered everywhere."""

COLORS = {
    "slate": "#64748b",
    "red": "#ef4444",
    "orange": "#f97316",
    "amber": "#f59e0b",
    "yellow": "#eab308",
    "lime": "#84cc16",
    "green": "#22c55e",
    "emerald": "#10b981",
    "teal": "#14b8a6",
    "cyan": "#06b6d4",
    "sky": "#0ea5e9",
    "blue": "#3b82f6",
    "indigo": "#6366f1",
    "violet": "#8b5cf6",
    "purple": "#a855f7",
    "pink": "#ec4899",
}


def check_color(value: str | None) -> str | None:
    """For pydantic validators: null or one of COLORS."""
    if value is not None and value not in COLORS:
        raise ValueError(f"must be null or one of: {', '.join(COLORS)}")
    return value
