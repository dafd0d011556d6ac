"""Sources of many records: record files, folders of them, and plain rows from an HR database.

This module is long because finding files, reading one (through the cache), and reporting
an id held twice must agree for every loader; split, two loaders would drift apart again.

Every command and tool that reads more than one record reads it here, so they all find the same
files, read each file once, report a bad one the same way, and refuse to guess when two files
hold the same record id:

* :func:`record_files` finds the record files under a folder (``*.toml``, recursively, hidden
  files and folders left out);
* :func:`read_valid` reads and checks one file, raising an error that names it;
* :func:`read_file` reads (through the record cache, when given one) and checks one file, and
  returns its record or its failure instead of raising: the body of every loop over files;
  :func:`read_files` does it for a chunk of files, asking the cache about them all at once;
* :func:`load` loads files and folders, each resolved file once; a bad file is a
  :class:`Failure`, and the rest is loaded;
* :func:`load_rows` does the same for plain rows.

Two sources holding the same record id are one failure naming both (:class:`Duplicate`): which
one is right is not known, so neither is used until people remove one or change its id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import attrs

from ecf import store
from ecf.cache import Entry, Verdict, encode, encode_verdict, identity, verdict_key
from ecf.errors import EcfError, Problem
from ecf.framework import FrameworkRegistry
from ecf.records import Record, record_from_dict
from ecf.validation import check_record, ensure_valid

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from ecf.cache import RecordCache

__all__ = [
    "CacheEntry",
    "Duplicate",
    "Failure",
    "Listing",
    "Loaded",
    "Read",
    "listing",
    "load",
    "load_folder",
    "load_rows",
    "one_per_id",
    "read_file",
    "read_files",
    "read_row",
    "read_valid",
    "record_files",
    "record_paths",
    "unique_files",
    "unique_paths",
]

T = TypeVar("T")

#: What a read adds to the record cache (:class:`ecf.cache.Entry`).
CacheEntry = Entry


@attrs.frozen
class Failure:
    """A record that could not be used, with where it came from and every problem found."""

    source: str
    problems: tuple[Problem, ...]

    def lines(self) -> list[str]:
        """One line per problem."""
        return [str(p.with_file(self.source)) for p in self.problems]


@attrs.frozen
class Duplicate:
    """One record id held by several sources (files or rows), in the order they were read."""

    id: str
    sources: tuple[str, ...]

    def failure(self) -> Failure:
        """The one failure that reports it, under its first source, naming every other."""
        others = ", ".join(self.sources[1:])
        return Failure(
            self.sources[0],
            (
                Problem(
                    f"the same record id is also in {others}; which is right is not known, so "
                    "none is used until one is removed or its id changed",
                    "id",
                    self.id,
                ),
            ),
        )


@attrs.frozen
class Loaded:
    """The valid records of a cohort, and the failures (each reported once).

    Attributes:
        records: The records, in the order their sources were read.
        failures: One per source that could not be used, and one per id held twice.
        sources: The source of each record (a file's path as found, or ``row N``).
        duplicates: The ids held by more than one source; none of their records is loaded.
    """

    records: tuple[Record, ...]
    failures: tuple[Failure, ...]
    sources: tuple[str, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()


@attrs.frozen
class Read:
    """One record file read: its record or its failure, and what to add to the record cache."""

    source: str
    record: Record | None = None
    failure: Failure | None = None
    entry: CacheEntry | None = None
    verdict: Verdict | None = None


def record_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Every ``*.toml`` file under a folder, recursively, in a stable order (not hidden ones).

    Hidden files and folders (a name starting with ``.``) are left out, and a symbolic link to
    a folder is not followed (as :func:`os.walk` does).
    """
    return [Path(path) for path, _ in _walk(os.fspath(folder))]


def _walk(folder: str) -> list[tuple[str, str]]:
    """Each record file under ``folder`` and its real path, in :func:`record_files`' order.

    The real path of a file is its folder's (found once per folder) and its name, unless the
    file is a symbolic link: a cohort of 20,000 files is not resolved file by file.
    """
    return [
        (f"{prefix}{name}", f"{held}{os.sep}{key}")
        for prefix, files in _walk_folders(folder)
        for name, held, key in files
    ]


#: The record files of one folder, as a walk finds them: the prefix their paths share (the
#: folder as named, and a separator), and each file's name, real folder and name there.
_Folder = tuple[str, list[tuple[str, str, str]]]


def _walk_folders(folder: str) -> Iterator[_Folder]:
    """The record files under ``folder``, a folder at a time, in :func:`record_files`' order."""
    yield from _walk_into(folder, os.path.realpath(folder))


def _walk_into(path: str, real: str) -> Iterator[_Folder]:
    try:
        with os.scandir(path) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return  # as os.walk: a folder that cannot be listed holds nothing
    folders: list[os.DirEntry[str]] = []
    files: list[tuple[str, str, str]] = []
    prefix = ""
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_folder = entry.is_dir()
        except OSError:
            is_folder = False
        if is_folder:
            if not entry.is_symlink():
                folders.append(entry)
        elif entry.name.endswith(".toml"):
            prefix = entry.path[: len(entry.path) - len(entry.name)]  # as scandir joins them
            if entry.is_symlink():
                held, _, key = os.path.realpath(entry.path).rpartition(os.sep)
                files.append((entry.name, held, key))
            else:
                files.append((entry.name, real, entry.name))
    if files:
        yield prefix, files
    del entries, files
    for entry in folders:
        yield from _walk_into(entry.path, f"{real}{os.sep}{entry.name}")


class Listing:
    """The record files of a scan, each once, in order, held compactly (a sequence of paths).

    A list of 100,000 paths, each a string, holds about 10 MiB, and finding them (every real
    path, to keep each file once) about twice that again; here the paths are kept a folder at a
    time, the folder once and its files' names joined in one string, and so are the real paths
    already seen.  Indexing a path rebuilds it; iterating rebuilds one folder's at a time.
    Made by :func:`listing`.
    """

    __slots__ = ("_ends", "_names", "_prefixes", "_seen", "named")

    def __init__(self) -> None:
        self._prefixes: list[str] = []  # each block's paths are its prefix and a name
        self._names: list[str] = []  # each block's names, joined by NUL (never in a path)
        self._ends: list[int] = []  # how many paths the blocks up to each one hold
        self._seen: dict[str, str] = {}  # each real folder's names seen, joined by NUL
        #: How many files were named, a file as often as it was (directly, in a folder, or
        #: through a link): for a folder, how many :func:`record_paths` gives.
        self.named = 0

    def _add(self, prefix: str, files: list[tuple[str, str, str]]) -> None:
        """Add the files of a block (name, real folder, name there) not seen before, in order."""
        self.named += len(files)
        kept: list[str] = []
        touched: dict[str, set[str]] = {}
        seen = self._seen
        for name, held, key in files:
            names = touched.get(held)
            if names is None:
                before = seen.get(held)
                names = touched[held] = set() if before is None else set(before.split("\0"))
            if key not in names:
                names.add(key)
                kept.append(name)
        for held, names in touched.items():
            seen[held] = "\0".join(names)
        if kept:
            self._prefixes.append(prefix)
            self._names.append("\0".join(kept))
            self._ends.append(len(self) + len(kept))

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __getitem__(self, index: int) -> str:
        """The path at ``index`` (from 0; negative counts from the end)."""
        import bisect  # noqa: PLC0415

        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            msg = "listing index out of range"
            raise IndexError(msg)
        block = bisect.bisect_right(self._ends, index)
        first = self._ends[block - 1] if block else 0
        return self._prefixes[block] + self._names[block].split("\0")[index - first]

    def __iter__(self) -> Iterator[str]:
        for prefix, names in zip(self._prefixes, self._names, strict=True):
            start = 0
            while (end := names.find("\0", start)) >= 0:  # not split: a folder may hold many
                yield prefix + names[start:end]
                start = end + 1
            yield prefix + names[start:]

    def parts(self, size: int) -> Iterator[list[str]]:
        """The paths in order, ``size`` at a time (the last part may be shorter)."""
        part: list[str] = []
        for path in self:
            part.append(path)
            if len(part) == size:
                yield part
                part = []
        if part:
            yield part


def listing(paths: Iterable[str | os.PathLike[str]]) -> Listing:
    """:func:`unique_paths` held compactly: the files of a scan of any size, each once, in order.

    A folder is walked a folder at a time, so the paths of all its files are never strings all
    at once; a :class:`Listing` given is already unique, and is returned as it is.
    """
    if isinstance(paths, Listing):
        return paths
    found = Listing()
    given: list[tuple[str, str, str]] = []  # files named one by one, added together
    folders: dict[str, str] = {}  # each folder's real path, found once
    for each in paths:
        path = os.fspath(each)
        mode = _mode(path)
        if not (stat.S_ISDIR(mode) or (stat.S_ISLNK(mode) and Path(path).is_dir())):
            held, _, key = _key(path, mode, folders).rpartition(os.sep)
            given.append((path, held, key))
            continue
        if given:
            found._add("", given)  # noqa: SLF001 - the listing's own maker
            given = []
        for prefix, files in _walk_folders(path):
            found._add(prefix, files)  # noqa: SLF001 - the listing's own maker
    if given:
        found._add("", given)  # noqa: SLF001 - the listing's own maker
    return found


def _key(path: str, mode: int, folders: dict[str, str]) -> str:
    """The real path of a file named directly (its folder's real path found once)."""
    if stat.S_ISLNK(mode):
        return os.path.realpath(path)
    head, name = os.path.split(path)
    if head not in folders:
        folders[head] = os.path.realpath(head or os.curdir)
    return f"{folders[head]}{os.sep}{name}"


def _mode(path: str) -> int:
    """The mode of ``path`` itself (a link's own), or 0 when it is missing."""
    try:
        return os.lstat(path).st_mode
    except OSError:  # missing: reading it will say so
        return 0


def unique_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The record files of ``paths`` (a folder stands for its :func:`record_files`), each once.

    A file named twice, or both directly and through its folder, or through a symbolic link, is
    kept once, where it first came, under the path it first came by.
    """
    return [Path(file) for file in unique_paths(paths)]


def record_paths(folder: str | os.PathLike[str]) -> list[str]:
    """:func:`record_files` as strings: a cohort of 100,000 files is listed without paths."""
    return [path for path, _ in _walk(os.fspath(folder))]


def unique_paths(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """:func:`unique_files` as strings (a path given as a string is kept as that string)."""
    return list(listing(paths))


def read_valid(path: str | os.PathLike[str], registry: FrameworkRegistry, today: dt.date) -> Record:
    """Read a record file (for reading only) and check it.

    Raises:
        RecordError: the file is missing, unreadable, malformed or invalid; every problem names
            the file.
    """
    return ensure_valid(store.read_record(path), registry, today, file=str(path))


def _unfiled(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """The problems without their file: a :class:`Failure` names it once, as its source."""
    return tuple(attrs.evolve(p, file=None) for p in problems)


class _Ahead(NamedTuple):
    """A file :func:`read_files` looked at ahead: when, its identity then, its digest, its bytes.

    ``data`` is ``None`` for a file the cache holds by its identity (``digest`` is the one the
    cache gave for it): it is not read.
    """

    checked: int
    st: os.stat_result
    digest: str
    data: bytes | None


#: How many bytes of a chunk's files :func:`read_files` reads ahead at most, to ask the cache
#: about their contents in one query: those the cache does not know by their identity (every
#: file, when the cache is filled).  A file beyond it is read when its turn comes, as alone.
_AHEAD_BYTES = 2 * 1024 * 1024


def _read_ahead(paths: Sequence[str], cache: RecordCache) -> dict[str, _Ahead]:
    """The files of a chunk, each stated, and read and hashed unless the cache holds it.

    Each is taken as :func:`_parse_cached` takes it (the time, then its identity, then its
    bytes when the cache does not hold it by that identity); a file that cannot be stated or
    read, or beyond :data:`_AHEAD_BYTES`, is left to its turn (which says what is wrong).
    """
    ahead: dict[str, _Ahead] = {}
    budget = _AHEAD_BYTES
    for path in paths:
        checked = time.time_ns()
        try:
            st = os.stat(path)  # noqa: PTH116 - a str path is cheaper in a cohort's loop
        except OSError:
            continue
        known = cache.digest_for(path, st, checked)
        if known is not None and cache.holds(known):
            ahead[path] = _Ahead(checked, st, known, None)
            continue
        if st.st_size > budget:
            continue
        try:
            data = store.read_bytes(Path(path))
        except EcfError:
            continue
        budget -= len(data)
        ahead[path] = _Ahead(checked, st, hashlib.sha256(data).hexdigest(), data)
    return ahead


def _parse_cached(
    path: str, cache: RecordCache, ahead: _Ahead | None = None
) -> tuple[Record, CacheEntry | None, str]:
    """A record file's record, from the cache when its identity or its content is known there.

    The identity is trusted only once settled (:meth:`ecf.cache.RecordCache.digest_for`);
    otherwise the file is read and found by its content.  A record the cache holds is checked
    on the way out (:func:`ecf.cache.decode`); one it does not is parsed and stored again.
    ``ahead``: the file as :func:`_read_ahead` read it (its identity was not known).
    """
    if ahead is not None and ahead.data is not None:
        return _parsed(path, cache, ahead.checked, ahead.st, ahead.digest, ahead.data)
    known: str | None
    if ahead is not None:  # held by its identity
        checked, st, known = ahead.checked, ahead.st, ahead.digest
    else:
        checked = time.time_ns()
        try:
            st = os.stat(path)  # noqa: PTH116 - a str path is cheaper in a cohort's loop
        except OSError as exc:
            raise store.unreadable(Path(path), exc) from None
        known = cache.digest_for(path, st, checked)
    record = cache.lookup(known) if known is not None else None
    if known is not None and record is not None:
        return record, None, known
    data = store.read_bytes(Path(path))  # within ecf.limits: a huge file is not read
    return _parsed(path, cache, checked, st, hashlib.sha256(data).hexdigest(), data)


def _parsed(
    path: str, cache: RecordCache, checked: int, st: os.stat_result, digest: str, data: bytes
) -> tuple[Record, CacheEntry, str]:
    """The record of a file read: from the cache by its content, else parsed (to store)."""
    record = cache.lookup(digest)
    blob = None
    if record is None:
        record = store.parse_record(data, Path(path))
        blob = encode(record)
    return record, Entry(path, identity(st), digest, checked, record.id, blob), digest


def read_file(
    path: str | os.PathLike[str],
    registry: FrameworkRegistry,
    today: dt.date,
    *,
    check: bool = True,
    cache: RecordCache | None = None,
    context: str | None = None,
) -> Read:
    """Read one record file and check it; a bad file is a failure, not an exception.

    Args:
        path: The file.
        registry: The frameworks it is checked against.
        today: Dates after this are in the future.
        check: ``False`` reads only (shape and types): for a caller that checks each record in
            its own way.
        cache: A record cache to take the parsed record from (an unchanged file is not parsed
            again); what it lacks is returned in :attr:`Read.entry`, to store later.
        context: With ``cache``, the check's :func:`ecf.cache.verdict_context` (made from the
            same ``registry`` and ``today``): the verdict remembered for the record's content in
            this context is used instead of checking it again; a new one is returned in
            :attr:`Read.verdict`, to store later.

    Returns:
        The record, or the failure with every problem found (without its file: the failure's
        source names it).
    """
    return _read(str(path), registry, today, check, cache, context)


def _read(
    source: str,
    registry: FrameworkRegistry,
    today: dt.date,
    check: bool,
    cache: RecordCache | None,
    context: str | None,
    ahead: _Ahead | None = None,
) -> Read:
    """:func:`read_file` of ``source`` (``ahead``: as :func:`_read_ahead` read it)."""
    entry = None
    digest = None
    try:
        if cache is None:
            record = store.read_record(source)
        else:
            record, entry, digest = _parse_cached(source, cache, ahead)
    except EcfError as exc:
        return Read(source, failure=Failure(source, _unfiled(exc.problems)))
    verdict = None
    if not check:
        problems: tuple[Problem, ...] = ()
    elif cache is not None and context is not None and digest is not None:
        key = verdict_key(digest, context)
        # A record just parsed was not in the cache: nor is a verdict on it (not asked).
        parsed = entry is not None and entry.data is not None
        remembered = None if parsed else cache.verdict(key, record.id)
        if remembered is None:
            problems = tuple(check_record(record, registry, today))
            data = encode_verdict(problems)
            verdict = None if data is None else Verdict(key, record.id, data)
        else:
            problems = remembered
    else:
        problems = tuple(check_record(record, registry, today))
    if problems:
        return Read(source, failure=Failure(source, problems), entry=entry, verdict=verdict)
    return Read(source, record=record, entry=entry, verdict=verdict)


def read_files(
    paths: Sequence[str],
    registry: FrameworkRegistry,
    today: dt.date,
    *,
    check: bool = True,
    cache: RecordCache | None = None,
    context: str | None = None,
) -> Iterator[Read]:
    """:func:`read_file` for each of ``paths`` (a chunk of a scan), in order.

    With a cache, what it holds for the whole chunk is read first, in a few queries
    (:meth:`ecf.cache.RecordCache.remember`); then each file is stated, and those it does not
    hold by their identity are read and hashed (up to :data:`_AHEAD_BYTES` in all), and the
    cache asked about their contents in one query more
    (:meth:`ecf.cache.RecordCache.remember_contents`), instead of one a file; each file is then
    read as :func:`read_file` reads it, with the same checks.
    """
    if cache is None:
        for path in paths:
            yield read_file(path, registry, today, check=check)
        return
    cache.remember(paths, context)
    ahead = _read_ahead(paths, cache)
    cache.remember_contents([a.digest for a in ahead.values() if a.data is not None])
    for path in paths:
        yield _read(path, registry, today, check, cache, context, ahead.pop(path, None))


def one_per_id(
    items: Iterable[tuple[str, str, T] | Failure],
) -> tuple[list[tuple[str, T]], list[Failure], tuple[Duplicate, ...]]:
    """Keep what only one source holds: an id held by several is one failure instead.

    Args:
        items: In source order: ``(source, record id, item)`` for each good source, and the
            failures of the others.

    Returns:
        The ``(source, item)`` of each id held once; the failures, with one more for each id
        held several times, in the place of its first source; and those ids.
    """
    listed = list(items)
    holders: dict[str, list[str]] = {}
    for item in listed:
        if not isinstance(item, Failure):
            holders.setdefault(item[1], []).append(item[0])
    duplicates = {i: Duplicate(i, tuple(s)) for i, s in holders.items() if len(s) > 1}
    kept: list[tuple[str, T]] = []
    failures: list[Failure] = []
    for item in listed:
        if isinstance(item, Failure):
            failures.append(item)
            continue
        source, record_id, value = item
        duplicate = duplicates.get(record_id)
        if duplicate is None:
            kept.append((source, value))
        elif source == duplicate.sources[0]:
            failures.append(duplicate.failure())
    return kept, failures, tuple(duplicates.values())


def _loaded(items: Iterable[tuple[str, str, Record] | Failure]) -> Loaded:
    kept, failures, duplicates = one_per_id(items)
    return Loaded(
        tuple(record for _, record in kept),
        tuple(failures),
        tuple(source for source, _ in kept),
        duplicates,
    )


def load(
    paths: Iterable[str | os.PathLike[str]],
    registry: FrameworkRegistry | None = None,
    today: dt.date | None = None,
    *,
    check: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Loaded:
    """Load record files and folders of them; bad files are failures, not exceptions.

    Args:
        paths: Record files, and folders searched recursively (:func:`record_files`); each file
            is read once, however many times it is named.
        registry: The frameworks (default: the shipped ones).
        today: Dates after this are in the future (default: today).
        check: ``False`` reads only (see :func:`read_file`).
        progress: Called with 1 after each file (for a progress bar).

    Returns:
        The valid records, one failure per missing, unreadable, malformed or invalid file, and
        one per record id that several files hold (naming them all; none of them is loaded).
    """
    registry = registry or FrameworkRegistry.default()
    today = today or dt.date.today()  # noqa: DTZ011 - the local date
    items: list[tuple[str, str, Record] | Failure] = []
    for path in unique_files(paths):
        read = read_file(path, registry, today, check=check)
        if read.record is not None:
            items.append((read.source, read.record.id, read.record))
        elif read.failure is not None:
            items.append(read.failure)
        if progress is not None:
            progress(1)
    return _loaded(items)


def load_folder(
    folder: str | os.PathLike[str],
    registry: FrameworkRegistry | None = None,
    today: dt.date | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Loaded:
    """Load every record file under ``folder`` (see :func:`load`).

    Raises:
        EcfError: when ``folder`` is not a folder.
    """
    root = Path(folder)
    if not root.is_dir():
        raise EcfError([Problem("not a folder", file=str(root))])
    return load([root], registry, today, progress=progress)


def read_row(
    number: int, row: Mapping[str, Any], registry: FrameworkRegistry, today: dt.date
) -> Record | Failure:
    """One plain row (a dict as an HR database gives it), structured and checked.

    Returns:
        The record, or a failure named ``row N`` with every problem's field path.
    """
    source = f"row {number}"
    try:
        record = record_from_dict(dict(row))
    except EcfError as exc:
        return Failure(source, exc.problems)
    problems = check_record(record, registry, today)
    return Failure(source, tuple(problems)) if problems else record


def load_rows(
    rows: Iterable[Mapping[str, Any]],
    registry: FrameworkRegistry | None = None,
    today: dt.date | None = None,
) -> Loaded:
    """Load records from plain rows (dicts as an HR database gives them, dates as ISO strings).

    Each row is structured with the same strict converter as a record file; a bad row is a
    failure named ``row N`` (1-based) with its field paths, and the rest is loaded.  Rows that
    hold the same record id are one failure, as files are.
    """
    registry = registry or FrameworkRegistry.default()
    today = today or dt.date.today()  # noqa: DTZ011 - the local date
    items: list[tuple[str, str, Record] | Failure] = []
    for number, row in enumerate(rows, start=1):
        read = read_row(number, row, registry, today)
        items.append(read if isinstance(read, Failure) else (f"row {number}", read.id, read))
    return _loaded(items)
