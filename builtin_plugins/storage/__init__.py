"""Project storage: each project's files, the file manager REST API, direct links at /files/,
thumbnails, quotas, and `$storage` for services."""

from kernel.hookspecs import hookimpl


@hookimpl
def m3m_settings():
    from .settings import FilesSettings

    return {"files": FilesSettings}


@hookimpl
def m3m_blueprints(app):
    from .routes import blueprint

    return [blueprint]


@hookimpl
def m3m_content_prefixes():
    return ["/files/"]  # the direct links: on server.content_uri when it is set


@hookimpl
async def m3m_startup(app):
    import time

    from .routes import run, storage
    from .service import sweep_temporary_files

    await storage(app).keys.ensure_indexes()
    await run(sweep_temporary_files, app.m3m.settings.storage.path, time.time())


@hookimpl(optionalhook=True)  # the data store's hook: absent while the data store is blocked
def m3m_project_files(app, project_id):
    from .routes import storage

    return storage(app).files(project_id)


@hookimpl
async def m3m_project_deleted(app, project_id):
    from .routes import run, storage
    from .service import remove_project

    await storage(app).keys.forget(project_id)
    storage(app).forget(project_id)
    await run(remove_project, app.m3m.settings.storage.path, project_id)


@hookimpl(optionalhook=True)
def m3m_project_folders(app, project_id):
    from .service import project_dir

    return {"storage": project_dir(app.m3m.settings.storage.path, project_id) / "storage"}
