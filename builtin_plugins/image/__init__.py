"""`$image` for services: images opened from `$storage` or bytes, kept on the host as handles and
worked on there with Pillow (resize, crop, rotate, composite...), written back as bytes or into
`$storage`. docs/images.md."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_settings():
    from .settings import ImageSettings

    return {"image": ImageSettings}
