"""The limits check and the file read as they were before issue 14, kept to test the fast ones.

``ecf.limits.parse_toml`` now parses a small text first and checks its data after, and
``ecf.limits.read_limited`` reads just the file's size; the property tests of
``tests/test_read_path.py`` hold them to the same verdicts, in the same words, as this copy of
the code they replaced (commit fc6965b).  The limits are read from :mod:`ecf.limits` when a
check runs, so a test that lowers one lowers it for both.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

import tomli

from ecf import limits
from ecf.limits import _refuse, check_size, open_regular

if TYPE_CHECKING:
    import os

    from ecf.errors import EcfError

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
_HEADER = re.compile(r"\n[ \t]*\[(\[?)([^\[\]{}\n]*)")
_TOKEN = re.compile(_STRING_OR_COMMENT.pattern + r"|[\[\]{}]", re.DOTALL)


def read_limited(
    path: str | os.PathLike[str],
    error: type[EcfError],
    *,
    limit: int | None = None,
    what: str = "a file",
) -> bytes:
    """The bytes of a regular file, read only when its size is within the limit."""
    fd = open_regular(path, error, limit=limit, what=what)
    with open(fd, "rb", closefd=True) as fh:  # noqa: PTH123 - an open descriptor
        data = fh.read((limits.max_file_bytes() if limit is None else limit) + 1)
    check_size(len(data), path, error, limit)
    return data


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _depth(brackets: str) -> int:
    depth = 0
    while "[]" in brackets and depth <= limits.MAX_DEPTH:
        brackets = brackets.replace("[]", "")
        depth += 1
    return depth + brackets.count("[")


def _deep_line(text: str) -> str:
    depth = 0
    for match in _TOKEN.finditer(text):
        found = match.group()
        if found in ("[", "{"):
            depth += 1
            if depth > limits.MAX_DEPTH:
                return f"line {_line(text, match.start())}: "
        elif found in ("]", "}"):
            depth = max(0, depth - 1)
    return ""


def check_text(text: str, file: str | None, error: type[EcfError]) -> None:
    """Refuse text that would cost the parser too much: long lines, deep nesting, many tables."""
    check_size(len(text), file, error)
    if len(text) > limits.MAX_LINE_CHARS:
        longest = max(text.split("\n"), key=len)
        if len(longest) > limits.MAX_LINE_CHARS:
            at = _line(text, text.index(longest))
            _refuse(
                error,
                file,
                f"line {at} is longer than {limits.MAX_LINE_CHARS:,} characters ({len(longest):,})",
            )
    bare = _STRING_OR_COMMENT.sub("", text)
    brackets = _NOT_BRACKET.sub("", bare).translate(_SQUARE)
    containers = brackets.count("[")
    if containers > limits.MAX_CONTAINERS:
        _refuse(
            error, file, f"more than {limits.MAX_CONTAINERS:,} tables and arrays ({containers:,})"
        )
    if containers > limits.MAX_DEPTH and _depth(brackets) > limits.MAX_DEPTH:
        _refuse(
            error,
            file,
            f"{_deep_line(text)}arrays or inline tables nested more than {limits.MAX_DEPTH} "
            "levels deep",
        )
    headers = _HEADER.findall("\n" + bare)
    for _, key in headers:
        if key.partition(",")[0].count(".") >= limits.MAX_KEY_PARTS:
            _refuse(
                error,
                file,
                f"a table header has more than {limits.MAX_KEY_PARTS} dotted parts "
                f"([{key[:60]}...)",
            )
    if len(headers) > limits.MAX_ENTRIES:
        entries = Counter(key.strip() for double, key in headers if double)
        name, count = entries.most_common(1)[0] if entries else ("", 0)
        if count > limits.MAX_ENTRIES:
            _refuse(
                error, file, f"more than {limits.MAX_ENTRIES:,} [[{name[:60]}]] tables ({count:,})"
            )


def _path_to(data: Any, target: object) -> str:
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


def check_data(data: Any, file: str | None, error: type[EcfError]) -> None:
    """Refuse parsed data nested too deep, with too long a string or too many entries."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth >= limits.MAX_DEPTH:
            _refuse(
                error,
                file,
                f"nested more than {limits.MAX_DEPTH} levels deep",
                _path_to(data, value),
            )
        if type(value) is dict:
            items = value.values()
        else:
            if len(value) > limits.MAX_ENTRIES:
                _refuse(
                    error,
                    file,
                    f"more than {limits.MAX_ENTRIES:,} entries ({len(value):,})",
                    _path_to(data, value),
                )
            items = value
        for item in items:
            kind = type(item)
            if kind is str:
                if len(item) > limits.MAX_STRING_CHARS:
                    _refuse(
                        error,
                        file,
                        f"a string longer than {limits.MAX_STRING_CHARS:,} characters "
                        f"({len(item):,})",
                        _path_to(data, item),
                    )
            elif kind is dict or kind is list:
                stack.append((item, depth + 1))


def parse_toml(text: str, file: str | None, error: type[EcfError]) -> dict[str, Any]:
    """Check ``text`` against the limits, parse it with ``tomli`` and check the data."""
    check_text(text, file, error)
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        _refuse(error, file, f"not valid TOML: {exc}")
    except RecursionError:
        _refuse(error, file, f"not valid TOML: nested more than {limits.MAX_DEPTH} levels deep")
    except ValueError as exc:
        _refuse(error, file, f"not valid TOML: {exc}")
    check_data(data, file, error)
    return data
