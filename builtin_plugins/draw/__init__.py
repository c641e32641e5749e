"""`$draw` for services: canvases held on the host (in $image's store) drawn on with Pillow:
shapes, text in a bundled font (DejaVu Sans, fonts/), images; encoded as bytes or into
`$storage`. docs/images.md."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_settings():
    from .settings import DrawSettings

    return {"draw": DrawSettings}
