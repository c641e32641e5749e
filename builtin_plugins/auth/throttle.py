"""Sign-in brute force: failed logins are counted per account and per address; past a few they
are answered more slowly, past the limit refused with a 429 and Retry-After for a while.

The counts live in the database (collection `login_failures`), so a restart does not forgive
them and parallel attempts are counted exactly ($inc is atomic). Times are epoch seconds (floats):
nx-27017 keeps a `$set` datetime as text.
"""

from __future__ import annotations

import asyncio
import math
import time

from pymongo import ReturnDocument

from kernel.errors import Refused

COLLECTION = "login_failures"


class LoginThrottle:
    def __init__(self, db, settings) -> None:
        self.failures = db[COLLECTION]
        self.settings = settings  # the [auth] section

    def _limits(self) -> dict[str, int]:
        return {"account": self.settings.login_max_failures, "address": self.settings.login_max_failures_per_address}

    async def check(self, email: str, address: str) -> None:
        """Refused(429) while the account or the address is locked out."""
        now = time.time()
        for key in (f"account:{email}", f"address:{address}"):
            doc = await self.failures.find_one({"_id": key})
            locked = (doc or {}).get("lockedUntil") or 0
            if locked > now:
                wait = math.ceil(locked - now)
                what = "this account" if key.startswith("account:") else "this address"
                raise TooManyAttempts(wait, f"too many failed sign-ins for {what}; try again in {wait} s")

    async def failed(self, email: str, address: str) -> None:
        """Count a failure; lock out past the limit; answer it late past `login_slow_after`."""
        now = time.time()
        counts = []
        for kind, limit in self._limits().items():
            key = f"{kind}:{email if kind == 'account' else address}"
            doc = await self.failures.find_one({"_id": key})
            if doc and (doc.get("first", now) < now - self.settings.login_window or 0 < doc.get("lockedUntil", 0) <= now):
                # The window has passed, or a lockout ended: count afresh.
                await self.failures.delete_one({"_id": key, "first": doc.get("first")})
            doc = await self.failures.find_one_and_update(
                {"_id": key}, {"$inc": {"failures": 1}}, upsert=True, return_document=ReturnDocument.AFTER
            )
            if "first" not in doc:
                await self.failures.update_one({"_id": key, "first": {"$exists": False}}, {"$set": {"first": now}})
            if doc["failures"] >= limit and not doc.get("lockedUntil"):
                await self.failures.update_one({"_id": key}, {"$set": {"lockedUntil": now + self.settings.login_lockout}})
            counts.append(doc["failures"])
        over = max(counts) - self.settings.login_slow_after
        if over > 0:
            await asyncio.sleep(min(self.settings.login_delay * 2 ** (over - 1), self.settings.login_max_delay))

    async def succeeded(self, email: str) -> None:
        """A success forgives the account's failures (the address keeps its count: an attacker
        with one valid account must not be able to wipe it)."""
        await self.failures.delete_one({"_id": f"account:{email}"})

    async def prune(self) -> None:
        """Forget counts whose window and lockout have both passed."""
        now = time.time()
        await self.failures.delete_many(
            {"first": {"$lt": now - self.settings.login_window}, "lockedUntil": {"$exists": False}}
        )
        await self.failures.delete_many({"lockedUntil": {"$lt": now}})


class TooManyAttempts(Refused):
    def __init__(self, retry_after: int, message: str) -> None:
        super().__init__(429, message, code="too_many_attempts")
        self.retry_after = retry_after
