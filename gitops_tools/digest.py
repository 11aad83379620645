"""SHA-256 from CPython's own module when there is one: `import hashlib` loads OpenSSL first, about 3 ms of a
one-file lint's start-up, for the one function every run needs (fingerprints, cache keys). The digests are the same;
the standard library's `random` takes sha512 the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hashlib import sha256
else:
    try:
        from _sha256 import sha256  # CPython 3.11
    except ImportError:  # CPython 3.12 and later name it _sha2; another interpreter may have neither
        try:
            from _sha2 import sha256
        except ImportError:
            from hashlib import sha256

__all__ = ["sha256"]
