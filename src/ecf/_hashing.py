"""SHA-256 without loading OpenSSL when CPython's own SHA-256 is there.

``import hashlib`` loads OpenSSL's library: about 2.5 ms of CPU at every start, more than all
the hashing a one-record command does (the shipped data files looked up by digest, one record's
bytes: issue 14).  CPython ships its own SHA-256 (the ``_sha2`` module from 3.12, ``_sha256``
before), the one :mod:`hashlib` itself falls back on; SHA-256 is one function, so the digest is
the same whichever computes it (``tests/test_one_record_imports.py`` compares them).  Where
neither is there, :func:`hashlib.sha256` is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["sha256_hex"]


class _Hash(Protocol):
    def hexdigest(self) -> str: ...


def _sha256() -> Callable[[bytes], _Hash]:
    """CPython's own SHA-256, else hashlib's (which loads OpenSSL)."""
    for name in ("_sha2", "_sha256"):  # 3.12 and later, 3.11
        try:
            return cast("Callable[[bytes], _Hash]", importlib.import_module(name).sha256)
        except (ImportError, AttributeError):
            continue
    import hashlib  # noqa: PLC0415 - only where CPython's own is missing

    return hashlib.sha256


_SHA256 = _sha256()


def sha256_hex(data: bytes) -> str:
    """The SHA-256 digest of ``data``, as 64 lowercase hex digits (as ``hashlib``'s)."""
    return _SHA256(data).hexdigest()
