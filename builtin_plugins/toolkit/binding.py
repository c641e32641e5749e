"""Host side of $crypto; $encoding and $strings are pure JS in the prelude."""

from builtin_plugins.runtime.sdk import Binding

from . import service


def binding(ctx) -> Binding:
    return Binding(
        operations={
            "digest": service.digest,
            "hmac": service.hmac,
            "equal": service.equal,
            "uuid": service.uuid,
            "randomBytes": service.random_bytes,
        },
        data={"algorithms": list(service.ALGORITHMS), "maxRandomBytes": service.MAX_RANDOM_BYTES},
    )
