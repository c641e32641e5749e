"""The auth plugin's settings sections: [jwt] (tokens) and [auth] (accounts)."""

from pydantic import SecretStr

from kernel.settings import Duration, Section, Size


class JwtSettings(Section):
    secret: SecretStr = SecretStr("")  # never printed nor sent to workers; empty: a random secret is generated once into {storage.path}/jwt-secret
    expiration: Duration = 168 * 3600


class AuthSettings(Section):
    avatar_max_size: Size = 2 * 1024**2
