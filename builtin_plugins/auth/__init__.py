"""Users, sign-in with JWT, permissions, and `m3m new-admin`."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_settings():
    from .settings import AuthSettings, JwtSettings

    return {"jwt": JwtSettings, "auth": AuthSettings}


@hookimpl
def m3m_blueprints(app):
    from .routes import blueprint

    return [blueprint]


@hookimpl
async def m3m_startup(app):
    from .routes import move_legacy_grants, throttle, users

    await users(app).ensure_indexes()
    await throttle(app).prune()
    await move_legacy_grants(app)
    if await users(app).count() == 0:
        print(
            "No users yet. Create the root admin in another shell:\n"
            "    m3m new-admin EMAIL PASSWORD",
            flush=True,
        )
    else:
        uri = app.m3m.settings.server.uri
        print(f"Sign in at {uri} with an admin's email and password (POST {uri}/api/auth/login).", flush=True)


@hookimpl
async def m3m_authenticate(request, app):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    from .routes import users
    from .service import principal_for

    return principal_for(await users(app).user_for_token(token.strip()))


@hookimpl
def m3m_cli(cli):
    from .cli import new_admin

    cli.add_command(new_admin)


@hookimpl(optionalhook=True)  # the backup plugin's hook: it may be blocked
def m3m_transient_collections():
    from .throttle import COLLECTION

    return [COLLECTION]  # failed sign-ins: a restored instance starts with none
