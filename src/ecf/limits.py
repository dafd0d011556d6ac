"""Limits on the files ``ecf`` reads: refuse a hostile or broken file before it costs memory.

This module is long because every limit and the scan that enforces it before parsing belong
together: split, a new reader could apply one half and not the other.

A record file, a rule file, a council configuration and a framework file are all TOML written by
people, often copied from elsewhere.  Before one is parsed, it is checked against limits far
above what any real file needs, so that a huge, deeply nested or otherwise hostile file is
refused with a message naming the file and the limit, instead of exhausting memory or the
parser's stack:

* its size: at most :data:`MAX_FILE_BYTES` (2 MiB; ``$ECF_MAX_FILE_BYTES`` changes it), checked
  with ``fstat`` and by reading at most one byte more than the limit, never the whole file;
* each line: at most :data:`MAX_LINE_CHARS` characters;
* nesting: arrays and inline tables at most :data:`MAX_DEPTH` deep, a table header at most
  :data:`MAX_KEY_PARTS` dotted parts, at most :data:`MAX_ENTRIES` ``[[name]]`` tables of one
  name and :data:`MAX_CONTAINERS` tables and arrays in all.

These are found by a few passes over the raw text at C speed that skip strings and comments.
After parsing, :func:`check_data` checks what they cannot see exactly: the depth of the data
(dotted keys nest too), the length of every string (a multi-line string has short lines) and of
every array.  ``ecf.store`` applies the same limits before it writes a record, so that it never
writes a file it would refuse to read.

A text of at most 64 Ki characters (every real record; :func:`parse_toml`) is parsed first and
its data walked once after: so small a text costs the parser little whatever it holds (``tomli``
limits its own nesting), and within it every limit the passes check shows in the data, so the
passes run only for a larger text or one that fails; the refusals and their words are the same
(issue 14: the passes cost a third of the parse; ``tests/test_read_path.py`` holds the two ways
to the same verdicts).

Each refusal is an :class:`~ecf.errors.EcfError` of the loader's own type (``RecordError``,
``RuleError``...), exit code 2 in the CLI.

An attachment is the other way a record points at a file: :func:`attachment_file` keeps it
inside the record's folder (no absolute path, no ``..`` or symbolic link leading out) unless it
is an ``https://`` or ``http://`` URL, which ecf never fetches.
"""

from __future__ import annotations

import os
import re
import stat
from collections import Counter
from itertools import compress
from typing import TYPE_CHECKING, Any, NoReturn

import tomli

from ecf.errors import EcfError, Problem

if TYPE_CHECKING:
    import io
    from pathlib import Path

__all__ = [
    "MAX_CONTAINERS",
    "MAX_DEPTH",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_FILE_BYTES_ENV",
    "MAX_KEY_PARTS",
    "MAX_LINE_CHARS",
    "MAX_STRING_CHARS",
    "MAX_TABLE_BYTES",
    "check_data",
    "check_size",
    "check_text",
    "load_toml",
    "max_file_bytes",
    "not_unicode",
    "open_regular",
    "open_text",
    "parse_toml",
    "read_limited",
]

#: The largest file read, in bytes (2 MiB): a record of four years is about 4 KB, so this is
#: room for 500 times that, yet small enough that parsing it costs little memory.
MAX_FILE_BYTES = 2 * 1024 * 1024
#: The environment variable that changes :data:`MAX_FILE_BYTES` (a whole number of bytes).
MAX_FILE_BYTES_ENV = "ECF_MAX_FILE_BYTES"
#: The largest table read (an HR export, CSV): 256 MiB, a row per person of every council in
#: England many times over, yet refused before a device or a runaway file is streamed.
MAX_TABLE_BYTES = 256 * 1024 * 1024
#: How deep arrays and tables may nest (a record needs 3: ``evidence[0].attachment``).
MAX_DEPTH = 32
#: How many dotted parts a table header may have (``[plugin.caseload]`` has 2).
MAX_KEY_PARTS = 32
#: The longest line, in characters (64 Ki): a note is a few hundred.
MAX_LINE_CHARS = 64 * 1024
#: The longest string value or key, in characters (64 Ki), even a multi-line one.
MAX_STRING_CHARS = 64 * 1024
#: The most entries in one array, such as evidence items or history entries (10,000: forty
#: years of weekly evidence), and the most ``[[name]]`` tables of one name.
MAX_ENTRIES = 10_000
#: The most tables and arrays in one file (each costs a Python dict or list).
MAX_CONTAINERS = 100_000

# Strings and comments, found at C speed, so that a bracket or a dot in one is not counted.  Each
# alternative matches wherever it starts (an unterminated string runs to the end of its line, or
# of the text for a multi-line one), so a scan never backtracks: it is linear in the text.
# (Each loop is unrolled, ``x*(?:y x*)*``, which sre runs several times faster than ``(?:x|y)*``.)
_QUOTED = r""""[^"\\\n]*(?:\\.[^"\\\n]*)*"?|'[^'\n]*'?"""
_STRING_OR_COMMENT = re.compile(
    r'"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*(?:"{3,5}|\Z)'  # a multi-line basic string
    r"|'''[^']*(?:'(?!'')[^']*)*(?:'{3,5}|\Z)"  # a multi-line literal string
    rf"|{_QUOTED}"  # a basic or literal string, up to the end of its line
    r"|\#[^\n]*",  # a comment
    re.DOTALL,
)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_SQUARE = str.maketrans("{}", "[]")
#: A table header at the start of a line (of the text without its strings): ``[[`` and its key.
#: (A newline rather than ``^``: sre finds a literal first character fast.)
_HEADER = re.compile(r"\n[ \t]*\[(\[?)([^\[\]{}\n]*)")
# The same scan token by token (slow, run only to say on which line the nesting is too deep).
_TOKEN = re.compile(_STRING_OR_COMMENT.pattern + r"|[\[\]{}]", re.DOTALL)


#: The most ``$ECF_MAX_FILE_BYTES`` may say (1 GiB): a record file is a few kilobytes.
_MAX_FILE_BYTES_CEILING = 1024 * 1024 * 1024


def max_file_bytes() -> int:
    """The largest file read: ``$ECF_MAX_FILE_BYTES`` if set, else :data:`MAX_FILE_BYTES`.

    Raises:
        EcfError: the variable is set to anything but a whole number of bytes from 1 to 1 GiB
            (exit 2: a setting that is wrong is said, not ignored).
    """
    given = os.environ.get(MAX_FILE_BYTES_ENV, "").strip()
    if not given:
        return MAX_FILE_BYTES
    value = int(given) if given.isdigit() and len(given) <= 10 else 0  # noqa: PLR2004 - digits
    if not 0 < value <= _MAX_FILE_BYTES_CEILING:
        raise EcfError(
            [
                Problem(
                    f"${MAX_FILE_BYTES_ENV}: expected a whole number of bytes from 1 to "
                    f"{_MAX_FILE_BYTES_CEILING:,}",
                    value=given[:40],
                )
            ]
        )
    return value


def _refuse(
    error: type[EcfError], file: str | os.PathLike[str] | None, message: str, path: str = ""
) -> NoReturn:
    raise error([Problem(message, path, None, None if file is None else os.fspath(file))])


def check_size(
    size: int,
    file: str | os.PathLike[str] | None,
    error: type[EcfError],
    limit: int | None = None,
) -> None:
    """Refuse more than ``limit`` bytes (default :func:`max_file_bytes`).

    Raises:
        EcfError: of type ``error``, naming ``file`` and the limit.
    """
    default = limit is None
    limit = max_file_bytes() if limit is None else limit
    if size > limit:
        how = f" (${MAX_FILE_BYTES_ENV} changes it)" if default else ""
        _refuse(
            error,
            file,
            f"too large: {size:,} bytes or more, the limit is {limit:,}{how}",
        )


#: How each kind of file that is not a regular one is named in an error.
_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}
#: Open for reading without ever waiting: a FIFO with no writer, or a terminal, would block
#: ``open`` itself; with ``O_NONBLOCK`` it returns at once, and ``fstat`` then refuses it.
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def _file_name(path: str | os.PathLike[str], error: type[EcfError]) -> bytes:
    try:
        name = os.fsencode(path)  # open() would raise UnicodeEncodeError
    except UnicodeEncodeError:
        _refuse(error, path, "not a file name: it holds text that is not Unicode")
    if b"\x00" in name:  # open() would raise ValueError
        _refuse(error, path, "not a file name: it holds a NUL character")
    return name


def open_regular(
    path: str | os.PathLike[str],
    error: type[EcfError],
    *,
    limit: int | None = None,
    what: str = "a file",
) -> int:
    """Open a file for reading, without blocking, only if it is a regular file within ``limit``.

    The one way ecf opens a file it reads (records, council and rule files, frameworks, HR
    exports, keys): a FIFO, a device, a socket or a folder is refused by ``fstat`` on the open
    descriptor (never waited on, never read), and so is a file larger than ``limit`` bytes
    (default :func:`max_file_bytes`), before one byte is read.

    Returns:
        The open file descriptor (the caller closes it).

    Raises:
        EcfError: of type ``error``: not a file name, not a regular file, or too large.
        OSError: the file cannot be opened (missing, refused, a loop of symbolic links): the
            caller says how, in its own words.
    """
    return _open_sized(path, error, limit, what)[0]


def _open_sized(
    path: str | os.PathLike[str], error: type[EcfError], limit: int | None, what: str
) -> tuple[int, int]:
    """:func:`open_regular`, and the size ``fstat`` gave (so that the reader reads just that)."""
    name = _file_name(path, error)
    fd = os.open(name, _READ_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = _KINDS.get(stat.S_IFMT(st.st_mode), "not a regular file")
            _refuse(error, path, f"is {kind}, not {what}")
        check_size(st.st_size, path, error, limit)
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def read_limited(
    path: str | os.PathLike[str],
    error: type[EcfError],
    *,
    limit: int | None = None,
    what: str = "a file",
) -> bytes:
    """The bytes of a regular file, read only when its size is within the limit.

    The file is opened by :func:`open_regular` (never blocking; a FIFO or a device is refused),
    its size checked with ``fstat`` first, then read until its end but never more than one
    byte over the limit, so that a file that grows is refused too.  The first read asks for
    the size ``fstat`` gave and one byte more (issue 14: not a buffer of the limit's size,
    2 MiB, for a file of a few kilobytes).

    Raises:
        EcfError: of type ``error``: not a regular file, too large, or its name cannot be one.
        OSError: the file cannot be opened or read (the caller says how, in its own words).
    """
    most = (max_file_bytes() if limit is None else limit) + 1
    fd, size = _open_sized(path, error, limit, what)
    try:
        data = _read_upto(fd, min(size + 1, most), most)
    finally:
        os.close(fd)
    check_size(len(data), path, error, limit)
    return data


#: How much each read after the first asks for (a file that grew since ``fstat``).
_READ_MORE = 64 * 1024


def _read_upto(fd: int, first: int, most: int) -> bytes:
    """The bytes of ``fd`` to its end or to ``most`` bytes, the first read asking ``first``."""
    data = os.read(fd, first)
    if not data:
        return data
    parts = [data]
    got = len(data)
    while got < most:
        more = os.read(fd, min(_READ_MORE, most - got))
        if not more:
            break
        parts.append(more)
        got += len(more)
    return data if len(parts) == 1 else b"".join(parts)


def open_text(
    path: str | os.PathLike[str],
    error: type[EcfError],
    *,
    limit: int,
    encoding: str = "utf-8",
    what: str = "a file",
) -> io.TextIOWrapper:
    """A regular file opened as text for streaming (an HR export), as :func:`open_regular` does.

    Raises:
        EcfError: of type ``error``: not a regular file, or larger than ``limit`` bytes.
        OSError: the file cannot be opened.
    """
    fd = open_regular(path, error, limit=limit, what=what)
    return open(fd, encoding=encoding, newline="", closefd=True)  # noqa: PTH123 - an open descriptor


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _depth(brackets: str) -> int:
    """How deep a string of ``[`` and ``]`` nests (an upper bound when it is unbalanced).

    Each pass removes the innermost pairs, at C speed; a real record needs three.  Openers left
    unclosed (only in broken TOML) are counted as enclosing everything.
    """
    depth = 0
    while "[]" in brackets and depth <= MAX_DEPTH:
        brackets = brackets.replace("[]", "")
        depth += 1
    return depth + brackets.count("[")


def _deep_line(text: str) -> str:
    """``line N: `` where the nesting first goes past the limit, or ``""``."""
    depth = 0
    for match in _TOKEN.finditer(text):
        found = match.group()
        if found in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                return f"line {_line(text, match.start())}: "
        elif found in ("]", "}"):
            depth = max(0, depth - 1)
    return ""


def check_text(text: str, file: str | Path | None, error: type[EcfError]) -> None:
    """Refuse text that would cost the parser too much: long lines, deep nesting, many tables.

    A few passes over the text at C speed; strings and comments are skipped, so a bracket in a
    note is not counted.

    Raises:
        EcfError: of type ``error``, naming ``file`` and the limit.
    """
    check_size(len(text), file, error)  # characters: never more than the bytes they came from
    if len(text) > MAX_LINE_CHARS:
        longest = max(text.split("\n"), key=len)
        if len(longest) > MAX_LINE_CHARS:
            at = _line(text, text.index(longest))
            _refuse(
                error,
                file,
                f"line {at} is longer than {MAX_LINE_CHARS:,} characters ({len(longest):,})",
            )
    bare = _STRING_OR_COMMENT.sub("", text)
    brackets = _NOT_BRACKET.sub("", bare).translate(_SQUARE)
    containers = brackets.count("[")
    if containers > MAX_CONTAINERS:
        _refuse(error, file, f"more than {MAX_CONTAINERS:,} tables and arrays ({containers:,})")
    if containers > MAX_DEPTH and _depth(brackets) > MAX_DEPTH:
        _refuse(
            error,
            file,
            f"{_deep_line(text)}arrays or inline tables nested more than {MAX_DEPTH} levels deep",
        )
    headers = _HEADER.findall("\n" + bare)
    for _, key in headers:
        # (Up to a comma: a line of an array value may look like a header, ``[1.5, 2.5],``.)
        if key.partition(",")[0].count(".") >= MAX_KEY_PARTS:
            _refuse(
                error,
                file,
                f"a table header has more than {MAX_KEY_PARTS} dotted parts ([{key[:60]}...)",
            )
    if len(headers) > MAX_ENTRIES:
        entries = Counter(key.strip() for double, key in headers if double)
        name, count = entries.most_common(1)[0] if entries else ("", 0)
        if count > MAX_ENTRIES:
            _refuse(error, file, f"more than {MAX_ENTRIES:,} [[{name[:60]}]] tables ({count:,})")


def _path_to(data: Any, target: object) -> str:
    """The field path of ``target`` (found by identity) in ``data``: ``evidence[3].note``."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if value is target:
            return path
        if isinstance(value, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(value))
    return ""


def check_data(data: Any, file: str | Path | None, error: type[EcfError]) -> None:
    """Refuse parsed data nested too deep, with too long a string or too many entries.

    Raises:
        EcfError: of type ``error``, naming ``file``, the field path and the limit.
    """
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth >= MAX_DEPTH:
            _refuse(error, file, f"nested more than {MAX_DEPTH} levels deep", _path_to(data, value))
        if type(value) is dict:
            items = value.values()
        else:
            if len(value) > MAX_ENTRIES:
                _refuse(
                    error,
                    file,
                    f"more than {MAX_ENTRIES:,} entries ({len(value):,})",
                    _path_to(data, value),
                )
            items = value
        for item in items:
            kind = type(item)
            if kind is str:
                if len(item) > MAX_STRING_CHARS:
                    _refuse(
                        error,
                        file,
                        f"a string longer than {MAX_STRING_CHARS:,} characters ({len(item):,})",
                        _path_to(data, item),
                    )
            elif kind is dict or kind is list:
                stack.append((item, depth + 1))


def parse_toml(text: str, file: str | Path | None, error: type[EcfError]) -> dict[str, Any]:
    """Check ``text`` against the limits, parse it with ``tomli`` and check the data.

    A text no longer than :func:`_small_text` (every record file) is parsed first and checked
    after, in one cheap walk of the data (:func:`_within_limits`): what the scan of
    :func:`check_text` refuses in a text that parses, the data shows too, and a text this
    small costs the parser little whatever it holds (``tomli`` limits its own nesting).  A text
    that fails either way is checked and parsed again as a larger one is, so every refusal is
    the same, in the same words (issue 14: the scan cost a third of the parse).

    Raises:
        EcfError: of type ``error``: over a limit, or not valid TOML (with line and column).
    """
    check_size(len(text), file, error)
    data = _parse_small(text)
    return _parse_checked(text, file, error) if data is None else data


def _parse_small(text: str) -> dict[str, Any] | None:
    """The data of a :func:`_small_text` text within every limit, else ``None``."""
    if len(text) > _small_text() or text.count("\n") >= MAX_ENTRIES:
        return None
    try:
        data = tomli.loads(text)
    except Exception:  # noqa: BLE001 - the full path says what is wrong, in its own words
        return None
    return data if _within_limits(data) else None


def _small_text() -> int:
    """The longest text :func:`parse_toml` checks after parsing, or 0 for none.

    Within it, no line, string or count of tables and arrays can pass its limit (none is
    longer than the text), and at most :data:`MAX_ENTRIES` lines hold no more ``[[name]]``
    tables than that; what is left is the depth and the length of each array, which the data
    shows.  A table header of :data:`MAX_KEY_PARTS` dotted parts nests its table that deep,
    so the walk refuses it only while :data:`MAX_KEY_PARTS` reaches :data:`MAX_DEPTH` (one
    less: the root is level 0); an array's line that looks like a header holds one number
    (one dot at most) before its first comma.
    """
    if max(2, MAX_DEPTH - 1) > MAX_KEY_PARTS:
        return 0
    return min(MAX_LINE_CHARS, MAX_STRING_CHARS, MAX_CONTAINERS)


#: The types of ``tomli``'s containers (its tables and arrays are exactly these).
_CONTAINERS: dict[type, bool] = {dict: True, list: True}


def _within_limits(data: dict[str, Any]) -> bool:
    """Whether :func:`check_data` would pass ``data`` of a :func:`_small_text` text.

    Level by level, at C speed within each (strings need no look: none is longer than the
    text): every table and array less than :data:`MAX_DEPTH` deep, no array longer than
    :data:`MAX_ENTRIES`.
    """
    level: list[Any] = [data]
    depth = 0
    while level:
        if depth >= MAX_DEPTH:
            return False
        values: list[Any] = []
        for container in level:
            if type(container) is dict:
                values += container.values()
            elif len(container) > MAX_ENTRIES:
                return False
            else:
                values += container
        level = list(compress(values, map(_CONTAINERS.get, map(type, values))))
        depth += 1
    return True


def _parse_checked(text: str, file: str | Path | None, error: type[EcfError]) -> dict[str, Any]:
    """Scan ``text`` (:func:`check_text`), parse it, and check the data (:func:`check_data`)."""
    check_text(text, file, error)
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        _refuse(error, file, f"not valid TOML: {exc}")
    except RecursionError:  # tomli's own nesting limit; the scan above should stop this first
        _refuse(error, file, f"not valid TOML: nested more than {MAX_DEPTH} levels deep")
    except ValueError as exc:  # an integer of over 4,300 digits: Python refuses to convert it
        _refuse(error, file, f"not valid TOML: {exc}")
    check_data(data, file, error)
    return data


def load_toml(path: Path, error: type[EcfError]) -> dict[str, Any]:
    """Read a TOML file within the limits (a rule file, a council's or a framework file).

    Raises:
        EcfError: of type ``error``: the file cannot be read, is over a limit, is not UTF-8 or
            is not valid TOML.
    """
    try:
        data = read_limited(path, error)
    except OSError as exc:
        raise error([Problem(f"cannot read: {exc.strerror}", file=str(path))]) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error([Problem(f"not valid TOML: {exc}", file=str(path))]) from None
    return parse_toml(text, path, error)


def not_unicode(data: Any) -> str | None:
    """The field path of a string in ``data`` that UTF-8 cannot encode, or ``None``.

    Such a string holds a lone surrogate: Python reads a command-line argument that is not
    UTF-8 that way.  A file holding it could not be written.
    """
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return path
        elif isinstance(value, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(value))
    return None
