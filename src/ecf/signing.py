"""Ed25519 keys that sign a record's history, so that no entry can be rewritten unseen.

A history chained by digests shows an edit by hand, but not a chain rewritten consistently
(every digest recomputed).  A council that keeps a key pair closes that gap: every history entry
written with the private key carries its signature (``key``: the key's fingerprint, ``sig``),
and ``ecf verify --public-key FILE`` checks each one.  The private key never leaves the council;
the public key is given to whoever must check a record, such as the council a practitioner
transfers to.

Keys are PEM files (PKCS#8 for the private key, unencrypted, owner-only ``0600``, refused when
anyone else may read it; SubjectPublicKeyInfo for the public one).  ``cryptography`` is
imported only when a key is made, loaded, or a signature checked: ``ecf --help`` and the
commands that write no history never import it.

The key in use comes from, in order: :func:`using` (the CLI's ``ecf --key FILE``), then the
file named by ``$ECF_SIGNING_KEY``; none means entries are written unsigned.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import hashlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ecf import limits
from ecf.errors import EcfError, Problem

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "SIGNING_KEY_ENV",
    "KeyFileError",
    "PublicKey",
    "SigningKey",
    "current_key",
    "load_public_key",
    "load_signing_key",
    "new_key_pair",
    "using",
]

#: The environment variable that names the private key file every history entry is signed with.
SIGNING_KEY_ENV = "ECF_SIGNING_KEY"
#: The names ``ecf keys new`` gives the two files.
PRIVATE_NAME = "ecf-signing.key"
PUBLIC_NAME = "ecf-signing.pub"

_ACTIVE: contextvars.ContextVar[SigningKey | None] = contextvars.ContextVar(
    "ecf_signing_key", default=None
)


class KeyFileError(EcfError):
    """A key file that cannot be used (missing, malformed, not Ed25519, readable by others)."""


def _fingerprint(raw_public: bytes) -> str:
    return "ed25519:" + hashlib.sha256(raw_public).hexdigest()[:16]


@attrs.frozen
class PublicKey:
    """A public key that checks signatures.

    Attributes:
        fingerprint: ``ed25519:`` and 16 hex digits of the sha256 of the raw key.
    """

    fingerprint: str
    _key: Any = attrs.field(repr=False, eq=False, alias="key")

    def verifies(self, data: bytes, signature: str) -> bool:
        """Whether ``signature`` (base64) is this key's signature of ``data``."""
        from cryptography.exceptions import InvalidSignature  # noqa: PLC0415 - kept lazy

        try:
            raw = base64.b64decode(signature, validate=True)
            self._key.verify(raw, data)
        except (InvalidSignature, ValueError):
            return False
        return True


@attrs.frozen
class SigningKey:
    """A private key that signs history entries.

    Attributes:
        fingerprint: The fingerprint of its public key (what each signed entry names).
    """

    fingerprint: str
    _key: Any = attrs.field(repr=False, eq=False, alias="key")

    def sign(self, data: bytes) -> str:
        """The signature of ``data``, base64."""
        return base64.b64encode(self._key.sign(data)).decode("ascii")

    def public(self) -> PublicKey:
        """The matching public key."""
        return PublicKey(self.fingerprint, key=self._key.public_key())


def _raw(public: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - kept lazy

    return bytes(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def _read(path: Path, what: str) -> bytes:
    try:
        return limits.read_limited(path, KeyFileError)
    except OSError as exc:
        raise KeyFileError(
            [Problem(f"cannot read the {what}: {exc.strerror}", file=str(path))]
        ) from None


def load_signing_key(path: str | os.PathLike[str]) -> SigningKey:
    """Read a private key file written by :func:`new_key_pair` (or any Ed25519 PKCS#8 PEM).

    Raises:
        EcfError: the file is missing, anyone but its owner may read it, or it holds no
            unencrypted Ed25519 private key.
    """
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - kept lazy
    from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: PLC0415 - kept lazy

    file = Path(path)
    data = _read(file, "signing key")
    with contextlib.suppress(OSError):
        if os.name == "posix" and file.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(
                [
                    Problem(
                        "the signing key may be read by others; make it the owner's only "
                        f"(chmod 600 {file})",
                        file=str(file),
                    )
                ]
            )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, ImportError):
        key = None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise KeyFileError(
            [Problem("not an unencrypted Ed25519 private key (PEM)", file=str(file))]
        )
    return SigningKey(_fingerprint(_raw(key.public_key())), key=key)


def load_public_key(path: str | os.PathLike[str]) -> PublicKey:
    """Read a public key file written by :func:`new_key_pair` (an Ed25519 PEM public key).

    Raises:
        EcfError: the file is missing or holds no Ed25519 public key.
    """
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - kept lazy
    from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: PLC0415 - kept lazy

    file = Path(path)
    data = _read(file, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, ImportError):
        key = None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise KeyFileError([Problem("not an Ed25519 public key (PEM)", file=str(file))])
    return PublicKey(_fingerprint(_raw(key)), key=key)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Write a new file: never through a link, never over an existing file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        raise KeyFileError([Problem("exists already; not replaced", file=str(path))]) from None
    except OSError as exc:
        raise KeyFileError([Problem(f"cannot write: {exc.strerror}", file=str(path))]) from None
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def new_key_pair(folder: str | os.PathLike[str]) -> tuple[Path, Path, str]:
    """Make an Ed25519 key pair in ``folder`` (``ecf keys new --out DIR``).

    The private key goes to ``ecf-signing.key`` (owner-only, ``0600``), the public key to
    ``ecf-signing.pub``; neither replaces an existing file.

    Returns:
        The private key's path, the public key's path, and the fingerprint.

    Raises:
        EcfError: the folder is missing, or either file exists already.
    """
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - kept lazy
    from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: PLC0415 - kept lazy

    where = Path(folder)
    if not where.is_dir():
        raise KeyFileError([Problem("no such folder", file=str(where))])
    private_path, public_path = where / PRIVATE_NAME, where / PUBLIC_NAME
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise KeyFileError([Problem("exists already; not replaced", file=str(path))])
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_new(private_path, private, 0o600)
    try:
        _write_new(public_path, public, 0o644)
    except EcfError:
        private_path.unlink(missing_ok=True)  # ours, just made
        raise
    return private_path, public_path, _fingerprint(_raw(key.public_key()))


@contextlib.contextmanager
def using(path: str | os.PathLike[str] | None) -> Iterator[SigningKey | None]:
    """Sign every history entry written inside the block with the key at ``path``.

    ``None`` changes nothing (``$ECF_SIGNING_KEY`` still applies).

    Raises:
        EcfError: the key file cannot be used.
    """
    if path is None:
        yield None
        return
    key = load_signing_key(path)
    token = _ACTIVE.set(key)
    try:
        yield key
    finally:
        _ACTIVE.reset(token)


def current_key() -> SigningKey | None:
    """The key entries are signed with now: :func:`using`'s, else ``$ECF_SIGNING_KEY``'s.

    Raises:
        EcfError: ``$ECF_SIGNING_KEY`` names a file that cannot be used.
    """
    active = _ACTIVE.get()
    if active is not None:
        return active
    named = os.environ.get(SIGNING_KEY_ENV)
    return load_signing_key(named) if named else None
