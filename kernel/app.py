"""The Quart app factory: plugins' blueprints, the error envelope, OpenAPI, the built UI at /."""

from __future__ import annotations

from dataclasses import dataclass

from quart import Quart
from quart_schema import QuartSchema

from .api import HTTPConnection, Request
from .content import ContentOrigin
from .keepalive import WholeRequestFirst
from .proxies import TrustedProxies, networks
from .openapi import EnvelopeOpenAPIProvider
from .db import Database
from .errors import install_error_handlers
from .plugins import PluginManager, await_me_maybe, build_plugin_manager, own_version
from .settings import Settings
from .system_routes import blueprint as system_blueprint
from .ui import serve_ui


@dataclass
class Kernel:
    """What the kernel shares with plugins through `current_app.m3m`."""

    settings: Settings
    pm: PluginManager
    db: Database


def create_app(settings: Settings, db_uri: str | None = None, pm: PluginManager | None = None) -> Quart:
    """Build the app; `db_uri` is the resolved database (the embedded one's, for "embedded")."""
    app = Quart("m3m", static_folder=None)  # the UI's assets come from ui/dist (kernel.ui)
    app.request_class = Request  # a body limit routes may raise (kernel.api.allow_body)
    app.asgi_http_class = HTTPConnection  # and back-pressure for streamed bodies
    app.config["MAX_CONTENT_LENGTH"] = settings.server.max_body
    pm = pm or build_plugin_manager(settings.plugins.blocked)
    uri = db_uri or settings.mongodb.uri
    if uri == "embedded":
        raise ValueError("create_app needs the embedded database's URI; see kernel.db.resolve_uri")
    app.m3m = Kernel(settings=settings, pm=pm, db=Database(uri, settings.mongodb.database, settings.mongodb.timeout))

    QuartSchema(
        app,
        openapi_provider_class=EnvelopeOpenAPIProvider,
        openapi_path="/api/openapi.json",
        redoc_ui_path=None,
        scalar_ui_path=None,
        swagger_ui_path=None,
        info={"title": "m3m", "version": own_version()},
    )
    app.json.sort_keys = False  # keep documents in the order the code builds them
    install_error_handlers(app)
    app.register_blueprint(system_blueprint)
    for blueprints in pm.hook.m3m_blueprints(app=app):
        for blueprint in blueprints or ():
            app.register_blueprint(blueprint)
    fast = {prefix: handler for routes in pm.hook.m3m_asgi_routes(app=app) for prefix, handler in (routes or {}).items()}
    app.extensions["m3m.asgi_prefixes"] = [prefix.lstrip("/") for prefix in fast]
    serve_ui(app)
    if fast:
        app.asgi_app = AsgiRoutes(app.asgi_app, fast)
    content = [prefix for declared in pm.hook.m3m_content_prefixes() for prefix in declared or ()]
    if settings.server.content_apart:  # before any route, the fast ones included
        app.asgi_app = ContentOrigin(app.asgi_app, settings.server.content_uri, settings.server.uri, content)
    app.asgi_app = WholeRequestFirst(app.asgi_app)  # it sees every answer (keepalive.py)
    if settings.server.trusted_proxies:  # the caller's address before anything reads it
        app.asgi_app = TrustedProxies(app.asgi_app, networks(settings.server.trusted_proxies))

    @app.before_serving
    async def _startup():
        await app.m3m.db.check()
        for result in pm.hook.m3m_startup(app=app):
            await await_me_maybe(result)

    @app.after_serving
    async def _shutdown():
        for result in pm.hook.m3m_shutdown(app=app):
            await await_me_maybe(result)
        await app.m3m.db.close()

    return app


class AsgiRoutes:
    """Requests under a plugin's prefix go to its ASGI handler first (m3m_asgi_routes): a hot
    path that needs no request context, routing, sessions or response processing. A handler that
    declines (returns False) leaves the request to Quart, untouched."""

    def __init__(self, quart_app, routes: dict) -> None:
        self.quart_app = quart_app
        self.routes = sorted(routes.items(), key=lambda pair: -len(pair[0]))

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            for prefix, handler in self.routes:
                if path.startswith(prefix):
                    if await handler(scope, receive, send):
                        return
                    break
        await self.quart_app(scope, receive, send)
