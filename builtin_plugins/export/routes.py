"""Project export and import over REST (docs/api.md "Projects", docs/operations.md)."""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from quart import Blueprint, Response, current_app, request
from quart_schema import document_querystring, tag

from kernel.api import Answer, accepts, allow_body, answers, disposition
from kernel.errors import Refused, forbidden, invalid
from kernel.security import require_user
from kernel.tenancy import require_project, resolve_project

from .importer import import_project
from .service import export_project, scratch_dir

blueprint = Blueprint("export", __name__)
SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"


class ImportedProject(Answer):
    id: str
    slug: str
    name: str | None


class ImportQuery(BaseModel):
    slug: Annotated[str, StringConstraints(pattern=SLUG)] | None = None  # 409 when taken; default: its own, or a free variant


@blueprint.get("/api/projects/<pid>/export")
@tag(["projects"])
@answers(200, media="application/gzip")
async def export(pid: str):
    """Download the project as one archive: settings, env, goals, branches, releases, runtime
    state, files, and whatever other plugins keep per project. Not the API key (see manifest)."""
    project, _ = await require_project(pid, settings=True)
    app = current_app._get_current_object()
    path = await export_project(app, project)

    async def chunks():
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(1024 * 1024):
                    yield chunk
        finally:
            path.unlink(missing_ok=True)

    response = Response(chunks(), mimetype="application/gzip")
    response.headers["Content-Disposition"] = disposition(f"{project['slug']}.m3m-project.tar.gz")
    return response


@blueprint.post("/api/projects/import")
@tag(["projects"])
@answers(201, ImportedProject)
@accepts("application/gzip", None, "the exported archive (.tar.gz)")
@document_querystring(ImportQuery)
async def import_():
    """Import an exported project (the archive as the raw body). It gets a new id; its slug, or a
    free variant on a clash (`?slug=` chooses one: 409 when taken); the importer is its member."""
    principal = await require_user()
    if not (principal.is_root or principal.permissions.get("createProjects")):
        raise forbidden("importing a project needs the createProjects permission")
    wanted = request.args.get("slug")
    if wanted is not None and not re.fullmatch(SLUG, wanted):
        raise invalid("slug", "lowercase letters, digits and dashes, 1-64")
    app = current_app._get_current_object()
    limit = app.m3m.settings.export.max_import
    allow_body(limit)
    scratch = scratch_dir(app) / f"import-{secrets.token_hex(8)}"
    scratch.mkdir()
    try:
        path, size = scratch / "archive.tar.gz", 0
        with open(path, "wb") as out:  # to disk as it comes: memory holds one chunk
            async for chunk in request.body:
                size += len(chunk)
                if size > limit:
                    raise Refused(413, f"the archive is larger than {limit} bytes (export.max_import)", field="file")
                out.write(chunk)
        if size == 0:
            raise invalid("file", "send the exported archive as the request body")
        project_id = await import_project(app, path, scratch, principal.id, wanted)
    finally:
        await asyncio.to_thread(shutil.rmtree, scratch, True)
    project = await resolve_project(project_id)
    return {"id": project_id, "slug": project["slug"], "name": project.get("name")}, 201
