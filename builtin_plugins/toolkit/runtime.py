"""Host side of $crypto; $encoding and $strings are pure JS in the prelude."""

from pathlib import Path

from kernel.runtime.sandbox import Binding

from . import service

PRELUDE = (Path(__file__).parent / "prelude.js").read_text()
TYPINGS = (Path(__file__).parent / "typings.d.ts").read_text()


def binding(ctx) -> Binding:
    return Binding(
        name="toolkit",
        prelude=PRELUDE,
        operations={
            "digest": service.digest,
            "hmac": service.hmac,
            "equal": service.equal,
            "uuid": service.uuid,
            "randomBytes": service.random_bytes,
        },
        data={"algorithms": list(service.ALGORITHMS), "maxRandomBytes": service.MAX_RANDOM_BYTES},
    )
