"""Service code: branches (editable drafts) and releases (immutable versions MAJOR.MINOR).

Collections `pipeline_branches` (project, name, code, base) and `pipeline_releases` (project,
version, major, minor, code, branch, comment, tags, author). A unique index on (project, version)
makes concurrent releases retry instead of sharing a version.
"""

from __future__ import annotations

import re
from pathlib import Path

from pymongo.errors import DuplicateKeyError

from kernel.times import iso, now
from kernel.errors import Refused
from kernel.db import replace_fields

BRANCH = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
VERSION = re.compile(r"^(\d{1,6})\.(\d{1,6})$")
TAGS = ("stable", "not-fix", "night-build", "develop")
FIRST_BRANCH = "develop"
TEMPLATE = (Path(__file__).parent / "template.js").read_text()


def check_branch(name: str) -> str:
    if not BRANCH.match(name):
        raise ValueError("use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit")
    return name


def parse_version(version: str) -> tuple[int, int] | None:
    match = VERSION.match(version)
    return (int(match.group(1)), int(match.group(2))) if match else None


def public_branch(doc: dict, with_code: bool = True) -> dict:
    branch = {
        "name": doc["name"],
        "base": doc.get("base"),
        "size": len(doc["code"].encode()),
        "created": iso(doc.get("created")),
        "updated": iso(doc.get("updated")),
    }
    if with_code:
        branch["code"] = doc["code"]
    return branch


def public_release(doc: dict, active: str | None, with_code: bool = True) -> dict:
    release = {
        "version": doc["version"],
        "branch": doc["branch"],
        "comment": doc.get("comment", ""),
        "tags": doc.get("tags", []),
        "author": {"id": None, **doc["author"]} if doc.get("author") else None,  # imported: no id
        "created": iso(doc.get("created")),
        "active": doc["version"] == active,
    }
    if with_code:
        release["code"] = doc["code"]
    return release


class PipelineService:
    def __init__(self, db) -> None:
        self.branches = db["pipeline_branches"]
        self.releases = db["pipeline_releases"]

    async def ensure_indexes(self) -> None:
        await self.branches.create_index([("project", 1), ("name", 1)], unique=True)
        await self.releases.create_index([("project", 1), ("version", 1)], unique=True)

    # -- branches ------------------------------------------------------------------------------

    async def list_branches(self, project: str) -> list[dict]:
        return [doc async for doc in self.branches.find({"project": project}).sort([("name", 1)])]

    async def branch(self, project: str, name: str) -> dict | None:
        return await self.branches.find_one({"project": project, "name": name})

    async def save(self, project: str, name: str, code: str) -> tuple[dict, bool]:
        """Save the draft; a branch that does not exist yet is created. Returns (branch, created)."""
        existing = await self.branch(project, name)
        stamp = now()
        if existing is None:
            try:
                doc = {"project": project, "name": name, "code": code, "base": None, "created": stamp, "updated": stamp}
                await self.branches.insert_one(doc)
                return doc, True
            except DuplicateKeyError:
                pass  # created by a concurrent save: update it below
        doc = await replace_fields(self.branches, {"project": project, "name": name}, {"code": code, "updated": stamp})
        return doc, False

    async def source_code(self, project: str, source: dict) -> tuple[str, dict]:
        """The code of {"release": v} or {"branch": name}, and the base to record."""
        if "release" in source:
            release = await self.release(project, source["release"])
            if release is None:
                raise Refused(404, f"release {source['release']} not found", field="release")
            return release["code"], {"release": release["version"]}
        branch = await self.branch(project, source["branch"])
        if branch is None:
            raise Refused(404, f"branch {source['branch']} not found", field="branch")
        return branch["code"], {"branch": branch["name"]}

    async def create_branch(self, project: str, name: str, source: dict) -> dict:
        code, base = await self.source_code(project, source)
        stamp = now()
        doc = {"project": project, "name": name, "code": code, "base": base, "created": stamp, "updated": stamp}
        try:
            await self.branches.insert_one(doc)
        except DuplicateKeyError:
            raise Refused(409, f"branch {name} exists", field="name") from None
        return doc

    async def reset(self, project: str, name: str, source: dict) -> dict:
        if await self.branch(project, name) is None:
            raise Refused(404, f"branch {name} not found")
        code, base = await self.source_code(project, source)
        return await replace_fields(
            self.branches, {"project": project, "name": name}, {"code": code, "base": base, "updated": now()}
        )

    async def delete_branch(self, project: str, name: str) -> None:
        if await self.branch(project, name) is None:
            raise Refused(404, f"branch {name} not found")
        if await self.branches.count_documents({"project": project}) <= 1:
            raise Refused(409, "the last branch cannot be deleted")
        await self.branches.delete_one({"project": project, "name": name})

    # -- releases ------------------------------------------------------------------------------

    async def list_releases(self, project: str) -> list[dict]:
        cursor = self.releases.find({"project": project}).sort([("major", -1), ("minor", -1)])
        return [doc async for doc in cursor]

    async def release(self, project: str, version: str) -> dict | None:
        return await self.releases.find_one({"project": project, "version": version})

    async def latest(self, project: str) -> dict | None:
        cursor = self.releases.find({"project": project}).sort([("major", -1), ("minor", -1)]).limit(1)
        return next(iter([doc async for doc in cursor]), None)

    async def create_release(self, project: str, branch: str, bump: str, comment: str, tags: list[str], author: dict) -> dict:
        """A release of the branch's code; the first is 1.0, then minor or major bumps of the latest.
        Concurrent releases race on the unique (project, version) index; the loser takes the next."""
        source = await self.branch(project, branch)
        if source is None:
            raise Refused(404, f"branch {branch} not found", field="branch")
        for _ in range(20):
            latest = await self.latest(project)
            if latest is None:
                major, minor = 1, 0
            elif bump == "major":
                major, minor = latest["major"] + 1, 0
            else:
                major, minor = latest["major"], latest["minor"] + 1
            doc = {
                "project": project,
                "version": f"{major}.{minor}",
                "major": major,
                "minor": minor,
                "code": source["code"],
                "branch": branch,
                "comment": comment,
                "tags": tags,
                "author": author,
                "created": now(),
            }
            try:
                await self.releases.insert_one(doc)
                return doc
            except DuplicateKeyError:
                continue
        raise Refused(409, "too many releases at once; try again")

    async def delete_release(self, project: str, version: str) -> None:
        await self.releases.delete_one({"project": project, "version": version})

    async def delete_project(self, project: str) -> None:
        await self.branches.delete_many({"project": project})
        await self.releases.delete_many({"project": project})
