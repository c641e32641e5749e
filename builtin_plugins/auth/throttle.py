"""Sign-in brute force, without letting anyone lock an account out (OWASP's advice against hard
account lockout: an attacker who can refuse the account's own password can keep the only root
out). Failed logins are counted three ways within `login_window`:

- per account and address (`pair:`): past `login_max_failures`, that address is refused (429,
  Retry-After) for that account during `login_lockout`;
- per address (`address:`): past `login_max_failures_per_address`, that address is refused for
  every account during `login_lockout` (many accounts tried from one place);
- per account (`account:`): never refuses; it only makes each further failure on the account
  answer later, from any address (a guesser spread over many addresses is slowed), up to
  `login_max_delay`.

So the right password from an address that has not failed is always let in, at once.

The counts live in the database (collection `login_failures`), so a restart does not forgive
them and parallel attempts are counted exactly ($inc is atomic). They are transient: a backup
leaves them out (the backup plugin's m3m_transient_collections), so a restored instance starts
with none. Times are epoch seconds (floats): nx-27017 keeps a `$set` datetime as text.
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

    def _counts(self, email: str, address: str) -> list[tuple[str, int | None, str]]:
        """(key, the failures that refuse it or None, what the refusal names)."""
        return [
            (f"pair:{email}|{address}", self.settings.login_max_failures, "this account from this address"),
            (f"address:{address}", self.settings.login_max_failures_per_address, "this address"),
            (f"account:{email}", None, "this account"),
        ]

    async def check(self, email: str, address: str) -> None:
        """Refused(429) while this address is refused for this account, or for every account."""
        now = time.time()
        for key, limit, what in self._counts(email, address):
            if limit is None:
                continue
            doc = await self.failures.find_one({"_id": key})
            locked = (doc or {}).get("lockedUntil") or 0
            if locked > now:
                wait = math.ceil(locked - now)
                raise TooManyAttempts(wait, f"too many failed sign-ins for {what}; try again in {wait} s")

    async def failed(self, email: str, address: str) -> None:
        """Count a failure; refuse the pair or the address past its limit; answer it late past
        `login_slow_after` failures of any of the three counts."""
        now = time.time()
        counts = []
        for key, limit, _ in self._counts(email, address):
            doc = await self.failures.find_one({"_id": key})
            if doc and (doc.get("first", now) < now - self.settings.login_window or 0 < doc.get("lockedUntil", 0) <= now):
                # The window has passed, or a lockout ended: count afresh.
                await self.failures.delete_one({"_id": key, "first": doc.get("first")})
            doc = await self.failures.find_one_and_update(
                {"_id": key}, {"$inc": {"failures": 1}}, upsert=True, return_document=ReturnDocument.AFTER
            )
            if "first" not in doc:
                await self.failures.update_one({"_id": key, "first": {"$exists": False}}, {"$set": {"first": now}})
            if limit is not None and doc["failures"] >= limit and not doc.get("lockedUntil"):
                await self.failures.update_one({"_id": key}, {"$set": {"lockedUntil": now + self.settings.login_lockout}})
            counts.append(doc["failures"])
        over = max(counts) - self.settings.login_slow_after
        if over > 0:
            await asyncio.sleep(min(self.settings.login_delay * 2 ** min(over - 1, 32), self.settings.login_max_delay))

    async def succeeded(self, email: str, address: str) -> None:
        """A success forgives the account's failures and this address's for it (the address keeps
        its own count: an attacker with one valid account must not be able to wipe it)."""
        await self.failures.delete_many({"_id": {"$in": [f"account:{email}", f"pair:{email}|{address}"]}})

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
