"""The auth plugin's settings sections: [jwt] (tokens) and [auth] (accounts)."""

from pydantic import Field, SecretStr

from kernel.settings import Duration, Int, Section, Size


class JwtSettings(Section):
    secret: SecretStr = SecretStr("")  # never printed nor sent to workers; empty: a random secret is generated once into {storage.path}/jwt-secret
    expiration: Duration = 168 * 3600


class AuthSettings(Section):
    avatar_max_size: Size = 2 * 1024**2
    # Sign-in brute force (docs/operations.md "Limits"): failures are counted per account from an
    # address, per address and per account within login_window; past login_slow_after each failed
    # answer waits login_delay, doubled per further failure up to login_max_delay; at
    # login_max_failures of an account from one address that address is refused (429) for the
    # account, at login_max_failures_per_address for every account, for login_lockout. The
    # account's own count only slows: no address can refuse the right password from another.
    login_slow_after: Int = Field(default=3, ge=0)
    login_delay: Duration = 0.25
    login_max_delay: Duration = 4
    login_max_failures: Int = Field(default=10, ge=1)
    login_max_failures_per_address: Int = Field(default=100, ge=1)
    login_window: Duration = 15 * 60
    login_lockout: Duration = 15 * 60
