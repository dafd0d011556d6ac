"""Record files on disk: read fast, edit in place keeping what people wrote, write atomically.

This module is long because reading, patching and atomically replacing a record file share
one format and one lock: split, a writer could patch without the lock or the read-back.

One TOML file per practitioner.  Reading uses ``tomli`` (compiled, the fastest parser available
to the project).  Editing uses ``tomlkit``, which keeps comments, order and formatting: a change
is applied as a patch to the parsed document, touching only the keys whose values changed and
appending new entries to arrays of tables, so a hand-written comment or an FTE written as
``"3/5"`` survives an unrelated edit.  A change that only appends entries (``ecf add``) is
spliced into the text instead, as tomlkit would write it (:mod:`ecf._append`), so that its
cost does not grow with the whole file.

Every write goes to a temporary file in the same folder, is flushed and fsynced, then renamed
over the target (and the folder fsynced), so a reader sees the old file or the new one, never
half of one.  A write refuses to replace a file whose bytes changed since it was read.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ecf import limits
from ecf._hashing import sha256_hex
from ecf.errors import ConflictError, Problem, RecordError
from ecf.records import Record, record_from_dict, record_to_dict

if TYPE_CHECKING:
    from collections.abc import Iterator

    import tomlkit
    from tomlkit.items import Table

__all__ = [
    "RecordFile",
    "atomic_write",
    "check_rewritable",
    "create",
    "open_record",
    "parse_record",
    "patched",
    "read_bytes",
    "read_record",
    "save",
]

#: Mode of a new record file: records hold personal data, so only the owner may read them.
NEW_FILE_MODE = 0o600

_HEADER = "ecf record file: one practitioner. `ecf validate FILE` checks it after a hand edit."


def unreadable(path: Path, exc: OSError) -> RecordError:
    """The error for a record file the system would not read: missing, a folder, or refused."""
    if isinstance(exc, FileNotFoundError):
        return RecordError([Problem("no such file", file=str(path))])
    if isinstance(exc, IsADirectoryError):
        return RecordError([Problem("is a folder, not a record file", file=str(path))])
    return RecordError([Problem(f"cannot read: {exc.strerror}", file=str(path))])


def read_bytes(path: Path) -> bytes:
    """The bytes of a record file, within :mod:`ecf.limits` (a huge file is refused unread).

    Raises:
        RecordError: the file is missing, a folder, unreadable or too large.
    """
    try:
        return limits.read_limited(path, RecordError, what="a record file")
    except OSError as exc:
        raise unreadable(path, exc) from None


def _text(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError([Problem(f"not UTF-8 text (byte {exc.start})", file=str(path))]) from None


def parse_record(data: bytes, path: Path) -> Record:
    """Parse the bytes of a record file (shape and types; see ``ecf.validation`` for meaning).

    Raises:
        RecordError: malformed TOML (with line and column), bad fields (with paths and values),
            or over a limit of :mod:`ecf.limits` (too large, too deeply nested...).
    """
    limits.check_size(len(data), path, RecordError)
    raw = limits.parse_toml(_text(data, path), path, RecordError)  # within ecf.limits
    return record_from_dict(raw, file=str(path))


def read_record(path: str | os.PathLike[str]) -> Record:
    """Read a record file for reading only (fast: no document kept for editing).

    Raises:
        RecordError: the file is missing, unreadable, malformed or has bad fields.
    """
    path = Path(path)
    return parse_record(read_bytes(path), path)


@attrs.frozen
class RecordFile:
    """A record read for editing: the record, the document it came from, and its revision.

    Attributes:
        path: The file.
        record: The record as read.
        digest: The sha256 of the bytes read; a save refuses if the file no longer has it.
        document: The document, with the comments and order a person wrote: the text read (or
            written), parsed only when a save patches it, so an edit parses it with tomlkit once
            (issue 14: start-up), or a parsed document, which a save copies and leaves as it is.
    """

    path: Path
    record: Record
    digest: str
    document: tomlkit.TOMLDocument | str = attrs.field(eq=False, repr=False)


def open_record(path: str | os.PathLike[str]) -> RecordFile:
    """Read a record file for editing.

    Raises:
        RecordError: the file is missing, unreadable, malformed or has bad fields.
    """
    path = Path(path)
    data = read_bytes(path)
    record = parse_record(data, path)
    text = _text(data, path)  # parsed with tomlkit by the save, once (issue 14: start-up)
    return RecordFile(path, record, sha256_hex(data), text)


def _item(value: Any) -> Any:
    """A plain value as a tomlkit item: lists of tables as ``[[...]]``, nested tables inline."""
    import tomlkit  # noqa: PLC0415 - only edits need tomlkit (issue 14: reading stays cheap)

    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        aot = tomlkit.aot()
        for entry in value:
            aot.append(_table(entry))
        return aot
    if isinstance(value, dict):
        table = tomlkit.table()
        for k, v in value.items():
            table[k] = _item(v)
        return table
    return value


def _table(entry: dict[str, Any]) -> Table:
    import tomlkit  # noqa: PLC0415 - only edits need tomlkit (issue 14: reading stays cheap)

    table = tomlkit.table()
    for k, v in entry.items():
        if isinstance(v, dict):
            inline = tomlkit.inline_table()
            inline.update(v)
            table[k] = inline
        else:
            table[k] = v
    return table


def _set_in_order(container: Any, key: str, item: Any, after: list[str]) -> None:
    """Set a new ``key``; a table goes before the first of the keys that follow it in a record."""
    import tomlkit  # noqa: PLC0415 - only edits need tomlkit (issue 14: reading stays cheap)
    from tomlkit.items import AoT, Table  # noqa: PLC0415 - as above

    following = [k for k in after if k in container]
    if not isinstance(item, AoT | Table):
        _add_value(container, key, item)
        return
    if not following:
        container[key] = item
        return
    try:  # tomlkit has no public insert-before; fall back to appending if its internals move
        where = container._map[following[0]]  # noqa: SLF001
        index = min(where) if isinstance(where, tuple) else where
        previous = container._body[index - 1][1] if index else None  # noqa: SLF001
        if previous is not None and not previous.as_string().endswith("\n\n"):
            first = item[0] if isinstance(item, AoT) else item
            first.trivia.indent = "\n"  # a blank line before the new table
        last = item[-1] if isinstance(item, AoT) else item
        last.add(tomlkit.nl())  # and after, before the table that follows
        container._insert_at(index, key, item)  # noqa: SLF001
    except (AttributeError, KeyError, TypeError, ValueError):
        container[key] = item


def _add_value(container: Any, key: str, item: Any) -> None:
    """Add a new value after the table's last value, before the blank lines and comments ending it.

    Those belong to whatever follows the table (a comment heading the next section).
    """
    import tomlkit  # noqa: PLC0415 - only edits need tomlkit (issue 14: reading stays cheap)
    from tomlkit.items import Table  # noqa: PLC0415 - as above

    keys = list(container)
    body = container.value if isinstance(container, Table) else None
    if keys and body is not None:
        try:  # tomlkit has no public insert-after; fall back to appending
            body._insert_after(keys[-1], key, tomlkit.item(item))  # noqa: SLF001
        except (AttributeError, KeyError, TypeError, ValueError):
            container[key] = item
        return
    container[key] = item


def _patch(container: Any, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Make ``container`` hold ``new``, changing only what differs from ``old``."""
    import tomlkit  # noqa: PLC0415 - only edits need tomlkit (issue 14: reading stays cheap)
    from tomlkit.items import AoT, InlineTable, Table  # noqa: PLC0415 - as above

    for key in old:
        if key not in new and key in container:
            del container[key]
    keys = list(new)
    for position, (key, value) in enumerate(new.items()):
        before = old.get(key)
        if key in old and before == value and key in container:
            continue
        current = container.get(key) if key in container else None
        if (
            isinstance(value, dict)
            and isinstance(before, dict)
            and isinstance(current, Table | InlineTable)
        ):
            _patch(current, before, value)
        elif (
            isinstance(value, list)
            and isinstance(before, list)
            and isinstance(current, AoT)
            and len(value) >= len(before) == len(current)
            and all(isinstance(v, dict) for v in (*before, *value))
        ):
            # Entries changed in place (an id stored, a correction, a retraction) keep their
            # comments and the keys that did not change; new entries are appended.
            for table, was, now in zip(current, before, value, strict=False):
                if was != now:
                    _patch(table, was, now)
            for entry in value[len(before) :]:
                table = _table(entry)
                if not current.as_string().endswith("\n\n"):
                    table.trivia.indent = "\n"  # a blank line between entries
                table.add(tomlkit.nl())  # and after, before whatever table follows
                current.append(table)
        elif key not in container:
            _set_in_order(container, key, _item(value), keys[position + 1 :])
        else:
            item = _item(value)
            if isinstance(item, AoT) and len(item) and isinstance(current, AoT):
                item[-1].add(tomlkit.nl())  # a blank line before the table that follows
            container[key] = item


def patched(source: str | tomlkit.TOMLDocument, old: dict[str, Any], new: dict[str, Any]) -> str:
    """The text of ``source`` (holding ``old``) patched with tomlkit to hold ``new``.

    Only the keys whose values changed are touched (:func:`_patch`); ``source`` is text, parsed
    afresh, or a document, which is copied, so it stays as it is.
    """
    import tomlkit  # noqa: PLC0415 - only edits need tomlkit (issue 14: reading stays cheap)

    document = tomlkit.parse(source if isinstance(source, str) else tomlkit.dumps(source))
    _patch(document, old, new)
    return tomlkit.dumps(document)


def render(record: Record) -> str:
    """A new record file's text."""
    import tomlkit  # noqa: PLC0415 - only edits need tomlkit (issue 14: reading stays cheap)

    document = tomlkit.document()
    document.add(tomlkit.comment(_HEADER))
    for key, value in record_to_dict(record).items():
        document[key] = _item(value)
    return tomlkit.dumps(document)


def _reads_as(text: str, path: Path, record: Record) -> bool:
    """Whether ``text`` is Unicode that ecf reads back (within :mod:`ecf.limits`) as ``record``.

    What :func:`_writable` checks, and more: a spliced append (:mod:`ecf._append`) must hold
    exactly the record, or it is not written (the tomlkit patch is, then).
    """
    try:
        return parse_record(text.encode("utf-8"), path) == record
    except (UnicodeEncodeError, RecordError):
        return False


def _writable(text: str, path: Path, record: Record) -> bytes:
    """The bytes to write, refused unless ecf can read them back (within :mod:`ecf.limits`).

    Raises:
        RecordError: a value is not Unicode text, or the file would be over a limit.
    """
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        where = limits.not_unicode(record_to_dict(record)) or ""
        raise RecordError(
            [
                Problem(
                    "not written: not Unicode text (an argument that is not UTF-8?)",
                    where,
                    None,
                    str(path),
                )
            ]
        ) from None
    try:
        parse_record(data, path)
    except RecordError as exc:
        raise RecordError(
            attrs.evolve(p, message=f"not written, ecf could not read it back: {p.message}")
            for p in exc.problems
        ) from None
    return data


def save(file: RecordFile, record: Record, *, fresh: bool = False) -> RecordFile:
    """Write ``record`` over ``file``, keeping the document's comments and order.

    Args:
        file: The record as read for editing.
        record: What the file is to hold.
        fresh: Render the file anew (as :func:`create` does) instead of patching the document:
            the comments and the order a person wrote go.  ``ecf anonymise`` needs it, since a
            comment may name the person; still one atomic write that refuses a changed file.

    Returns:
        The file as written, ready for another save.

    Raises:
        ConflictError: the file changed on disk since it was read; nothing is written.
        RecordError: the file can no longer be read, or the write failed; nothing is changed.
    """
    if fresh:
        text = render(record)
    else:
        from ecf import _append  # noqa: PLC0415 - only a write needs it: never a read (issue 14)

        old, new = record_to_dict(file.record), record_to_dict(record)
        source = file.document
        # An append (``ecf add``) is spliced into the text, as tomlkit would write it, without
        # parsing the whole file (issue 14: an add on a long record); anything else is patched.
        # A splice is kept only if it reads back as the record to write: else the patch.
        spliced = _append.appended(source, old, new) if isinstance(source, str) else None
        if spliced is not None and _reads_as(spliced, file.path, record):
            data = spliced.encode("utf-8")
            atomic_write(file.path, data, expect_digest=file.digest)
            return RecordFile(file.path, record, sha256_hex(data), spliced)
        text = patched(source, old, new)
    data = _writable(text, file.path, record)
    atomic_write(file.path, data, expect_digest=file.digest)
    return RecordFile(file.path, record, sha256_hex(data), text)


def create(path: str | os.PathLike[str], record: Record) -> RecordFile:
    """Write a new record file; refuses to replace an existing file.

    Raises:
        RecordError: the file exists already, or cannot be written.
    """
    path = Path(path)
    text = render(record)
    data = _writable(text, path, record)
    atomic_write(path, data, expect_digest=None)
    return RecordFile(path, record, sha256_hex(data), text)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_rewritable(path: str | os.PathLike[str]) -> None:
    """Refuse to rewrite a record file that ecf must leave as it is.

    A record is changed only at its own path, as one file: a symbolic link to it is refused
    (the lock is per path and the save would replace the link with a copy, forking the record),
    and so is a file with other hard links (the save would leave them holding the old record).
    A read-only file, or one another user owns, is not rewritten either: the rename that saves a
    record would otherwise replace it whatever its mode.  A missing file passes (reading it
    says so).

    Raises:
        RecordError: one problem naming the file and why; nothing is changed.
    """
    try:
        st = os.lstat(path)
    except OSError:
        return
    why = ""
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    if stat.S_ISLNK(st.st_mode):
        why = (
            "is a symbolic link: not changed (a record is changed at its own path only, so that "
            "no copy forks it; name the file it points to)"
        )
    elif not stat.S_ISREG(st.st_mode):
        return  # a folder, a pipe: reading it says what it is
    elif st.st_nlink > 1:
        why = (
            f"has {st.st_nlink} hard links: not changed (a save would split them into two "
            "records; keep one link)"
        )
    elif uid is not None and st.st_uid != uid:
        why = "belongs to another user: not changed"
    elif not st.st_mode & stat.S_IWUSR:
        why = "is read-only: not changed (make it writable to change it)"
    if why:
        raise RecordError([Problem(why, file=os.fspath(path))])


#: The characters of a temporary file's random part (:func:`tempfile.mkstemp`'s own).
_TEMPORARY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
_TEMPORARY_FLAGS = (
    os.O_RDWR
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def _temporary(folder: Path, name: str) -> tuple[int, str]:
    """A new temporary file ``.NAME.XXXXXXXX.tmp`` in ``folder``, open, owner-only (``0600``).

    What :func:`tempfile.mkstemp` makes (its name, flags and mode), without importing
    :mod:`tempfile`, which imports :mod:`shutil` and three compression modules, nor
    :mod:`secrets`: a change to one record does not need them (issue 14).

    Returns:
        The open file descriptor and the file's absolute path.

    Raises:
        OSError: the file cannot be created (``FileExistsError`` after 100 names taken).
    """
    chars = _TEMPORARY_CHARS
    for _ in range(100):
        # os.urandom, not secrets (which imports random, base64, hmac: issue 14); a name need
        # not be unguessable, only new: O_EXCL refuses one taken, and the next is tried.
        tail = "".join(chars[byte % len(chars)] for byte in os.urandom(8))
        tmp = os.path.abspath(os.path.join(folder, f".{name}.{tail}.tmp"))  # noqa: PTH100, PTH118 - as mkstemp returns it
        try:
            return os.open(tmp, _TEMPORARY_FLAGS, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no temporary file name left", str(folder))


def atomic_write(path: Path, data: bytes, *, expect_digest: str | None) -> None:
    """Replace ``path`` with ``data`` atomically.

    Args:
        path: The target file.
        data: Its new content.
        expect_digest: The sha256 the current file must still have; ``None`` to create a new
            file, which must not exist.

    Raises:
        ConflictError: the file's content is not the expected one (or it exists, when creating).
        RecordError: the write failed; the target is unchanged and no temporary file remains.
    """
    folder = path.parent if str(path.parent) else Path()
    try:
        fd, tmp_name = _temporary(folder, path.name)
    except OSError as exc:
        raise RecordError(
            [Problem(f"cannot write in {folder}: {exc.strerror}", file=str(path))]
        ) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if expect_digest is None:
            tmp.chmod(NEW_FILE_MODE)
            try:
                os.link(tmp, path)  # fails if the target exists: never clobber a file on create
            except FileExistsError:
                raise ConflictError(
                    [Problem("already exists; not replaced", file=str(path))]
                ) from None
            tmp.unlink()
        else:
            check_rewritable(path)  # the last guard: whatever the caller checked before
            try:
                current = limits.read_limited(path, RecordError, what="a record file")
                tmp.chmod(path.stat().st_mode & 0o7777)
            except FileNotFoundError:
                raise ConflictError(
                    [Problem("was removed since it was read; not written", file=str(path))]
                ) from None
            if sha256_hex(current) != expect_digest:
                raise ConflictError(
                    [
                        Problem(
                            "changed on disk since it was read; not written, run the command again",
                            file=str(path),
                        )
                    ]
                )
            tmp.replace(path)
        _fsync_dir(folder)
    except OSError as exc:
        raise RecordError([Problem(f"cannot write: {exc.strerror}", file=str(path))]) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


#: Seconds a writer waits for another to finish with the same record (``$ECF_LOCK_TIMEOUT``).
LOCK_TIMEOUT = 10.0
LOCK_TIMEOUT_ENV = "ECF_LOCK_TIMEOUT"


#: The longest wait ``$ECF_LOCK_TIMEOUT`` may ask for (a day).
MAX_LOCK_TIMEOUT = 86_400.0


def lock_timeout() -> float:
    """``$ECF_LOCK_TIMEOUT`` (seconds, 0 to a day), else :data:`LOCK_TIMEOUT`.

    Raises:
        RecordError: the variable is not a number in that range (``nan``, ``-1``, ``1e308``):
            a setting that is wrong is said (exit 2), not ignored nor obeyed.
    """
    given = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not given:
        return LOCK_TIMEOUT
    try:
        value = float(given)
    except ValueError:
        value = math.nan
    if not 0 <= value <= MAX_LOCK_TIMEOUT:  # nan and infinities too
        raise RecordError(
            [
                Problem(
                    f"${LOCK_TIMEOUT_ENV}: expected a number of seconds from 0 to "
                    f"{MAX_LOCK_TIMEOUT:,.0f}",
                    value=given[:40],
                )
            ]
        )
    return value


def lock_path(path: Path) -> Path:
    """The lock file that guards a record file: hidden, beside it, named without its name.

    A record file is often named after the person; its lock is named by a digest of the
    file's name instead, so that a lock file left behind never names anyone (``ecf
    anonymise`` removes it, and :func:`legacy_lock_path`'s, too).
    """
    return path.parent / f".ecf-{sha256_hex(os.fsencode(path.name))[:16]}.lock"


def legacy_lock_path(path: Path) -> Path:
    """The lock file ecf named after the record file before it was named by a digest."""
    return path.parent / f".{path.name}.lock"


#: How often a waiting writer tries the lock again, in seconds.  A short poll keeps waiting
#: writers fair: at filelock's default (50 ms) a writer in a loop took the lock back for 16 s
#: while another waited (benchmarks/durability.py).
_LOCK_POLL = 0.005
#: The lock file's flags: as filelock opens it (read-write, never through a symbolic link,
#: without blocking on a leased file), created if missing.
_LOCK_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
#: ``flock`` errors that mean another process holds the lock (some file systems say EACCES).
_LOCK_BUSY = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES})
#: ``flock`` errors that mean the file system has no such locks: filelock takes over there.
_LOCK_MISSING = frozenset(
    {errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)}
)


class _LockTimeout(Exception):  # noqa: N818 - a private signal, turned into a ConflictError
    """Another process held the lock for longer than the timeout."""


@contextlib.contextmanager
def locked(path: str | os.PathLike[str], timeout: float | None = None) -> Iterator[None]:
    """Hold the record's lock: one writer at a time, across processes.

    On POSIX the lock is ``fcntl.flock`` on the lock file (:func:`_flock`); on Windows, or on a
    file system without ``flock``, it is :mod:`filelock`'s (imported only then: it imports
    :mod:`logging`, which a change to one record does not need; issue 14).  Either way the
    lock file stays in place after the lock is released, as filelock leaves it.

    While it is held, temporary files that a killed writer left behind are removed.

    Raises:
        ConflictError: another process held the lock for longer than ``timeout`` seconds.
    """
    path = Path(path)
    if timeout is None:
        timeout = lock_timeout()
    busy = ConflictError(
        [
            Problem(
                f"another process is writing this record; gave up after {timeout:g} s",
                file=str(path),
            )
        ]
    )
    try:
        fd = _flock(lock_path(path), timeout)
    except _LockTimeout:
        raise busy from None
    except OSError as exc:
        raise RecordError([Problem(f"cannot lock: {exc.strerror}", file=str(path))]) from exc
    if fd is None:
        with _filelocked(path, timeout, busy):
            _remove_stale_temporaries(path)
            yield
        return
    try:
        _remove_stale_temporaries(path)
        yield
    finally:
        _unflock(fd)


def _flock(lock: Path, timeout: float) -> int | None:
    """Take ``lock`` with ``fcntl.flock``, trying every :data:`_LOCK_POLL` s up to ``timeout``.

    Returns:
        The open descriptor that holds the lock (:func:`_unflock` releases it), or ``None``
        where ``flock`` is not to be had (no :mod:`fcntl`: Windows; a file system without it).

    Raises:
        _LockTimeout: another process held it for longer than ``timeout`` seconds.
        OSError: the lock file cannot be opened (a symbolic link, a folder not writable...).
    """
    try:
        import fcntl  # noqa: PLC0415 - POSIX only; Windows takes filelock's lock
    except ImportError:  # pragma: no cover - Windows
        return None
    deadline = time.monotonic() + timeout
    while True:
        fd = os.open(lock, _LOCK_FLAGS, 0o666)  # the mode filelock gives it: 0666 less umask
        try:
            held = _wait_for_flock(fcntl, fd, deadline)
            removed = held and not os.fstat(fd).st_nlink
        except OSError as exc:
            os.close(fd)
            if exc.errno in _LOCK_MISSING:
                return None
            raise
        except BaseException:
            os.close(fd)
            raise
        if held and not removed:
            return fd
        os.close(fd)
        if not held:
            raise _LockTimeout
        # Removed while this writer waited (``ecf anonymise`` removes it): lock the file that
        # a writer coming now makes, else two writers would hold the locks of two files.


def _wait_for_flock(fcntl: Any, fd: int, deadline: float) -> bool:
    """Try ``flock`` on ``fd`` until it is had (True) or ``deadline`` passes (False).

    Raises:
        OSError: ``flock`` failed otherwise than because another process holds the lock.
    """
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in _LOCK_BUSY:
                raise
        else:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_LOCK_POLL)


def _unflock(fd: int) -> None:
    """Release a lock :func:`_flock` took, and close its descriptor."""
    import fcntl  # noqa: PLC0415 - as in _flock

    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _filelocked(path: Path, timeout: float, busy: ConflictError) -> Iterator[None]:
    """Hold the record's lock with :mod:`filelock` (Windows; a file system without flock)."""
    import filelock  # noqa: PLC0415 - only where flock is not to be had

    guard = filelock.FileLock(lock_path(path), timeout=timeout)
    try:
        guard.acquire(poll_interval=_LOCK_POLL)
    except filelock.Timeout:
        raise busy from None
    except OSError as exc:
        raise RecordError([Problem(f"cannot lock: {exc.strerror}", file=str(path))]) from exc
    try:
        yield
    finally:
        guard.release()


def _remove_stale_temporaries(path: Path) -> None:
    """Remove what a writer killed mid-write left (safe only under the record's lock).

    Only this record's: ``.NAME.XXXXXXXX.tmp``, whose random part has no dot.  The temporary
    files of another record named ``NAME.more.toml`` start with ``.NAME.`` too, but are written
    under that record's lock, perhaps at this moment: they are left alone.
    """
    import glob  # noqa: PLC0415 - only a write needs it: never a read (issue 14)

    prefix = f".{path.name}."
    with contextlib.suppress(OSError):
        for stale in path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
            if "." in stale.name[len(prefix) : -len(".tmp")]:
                continue
            with contextlib.suppress(OSError):
                stale.unlink()
