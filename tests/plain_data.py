"""Plain record data (``record_to_dict``'s tables and arrays) changed at one place, for tests.

Shared by the tests of the fast structuring path (``test_speed``) and of the C path
(``test_cpath``): both change one value of valid data and compare the paths' answers.
"""

from __future__ import annotations

from typing import Any


def paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in plain data: keys of tables, indexes of arrays."""
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(paths(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.extend(paths(item, (*path, index)))
    return out


def changed(data: Any, path: tuple[Any, ...], new: Any, how: str) -> Any:
    """``data`` with the value at ``path`` replaced (``how`` "replace"), dropped ("drop"), or a
    key ``unknown_key`` holding ``new`` added beside it ("add")."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        copy = dict(data)
        if not rest and how == "drop":
            del copy[head]
        elif not rest and how == "add":
            copy["unknown_key"] = new
        else:
            copy[head] = changed(data[head], rest, new, how)
        return copy
    copy_list = list(data)
    copy_list[head] = changed(data[head], rest, new, how)
    return copy_list
