"""`m3m new-admin EMAIL PASSWORD`: the first user becomes root, later ones admins."""

import asyncio

import click

from kernel.errors import Refused

from .service import UserService


@click.command("new-admin")
@click.argument("email")
@click.argument("password")
@click.option("--name", default="", help="Display name.")
@click.pass_obj
def new_admin(obj, email: str, password: str, name: str) -> None:
    """Create an admin; the very first one becomes root."""

    async def create():
        async with obj.database() as db:
            service = UserService(db, obj.settings.storage.path, "", obj.settings.jwt.expiration)
            await service.ensure_indexes()
            return await service.create(email, password, name)

    try:
        doc = asyncio.run(create())
    except Refused as exc:
        raise click.ClickException(exc.message) from None
    role = "root" if doc["isRoot"] else "admin"
    click.echo(f"created {role} {doc['email']} (id {doc['_id']})")
