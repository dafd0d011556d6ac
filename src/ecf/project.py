"""A council given once: ``$ECF_COUNCIL``, or a project file ``ecf.toml`` found upwards.

A team that works on one council's records should not repeat ``--council council.toml`` on
every command.  The council file is found, in this order:

1. the command's ``--council FILE``;
2. ``$ECF_COUNCIL`` (a path; set but empty: no council, and no project file is looked for);
3. ``ecf.toml`` in the current folder or the nearest folder above it (as ruff finds
   ``ruff.toml`` and pytest its ``pytest.ini``), whose ``council`` key names the file,
   relative to ``ecf.toml``'s own folder::

       # ecf.toml: settings for every ecf command run in this folder or below it
       council = "councils/council.toml"

A project file with an unknown key, or a ``council`` that is not a string, is an error naming
the file and the key (a typo must not silently drop the council).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from ecf.errors import EcfError, Problem
from ecf.limits import load_toml

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["COUNCIL_ENV", "PROJECT_FILE", "Project", "ProjectError", "find_council", "find_project"]

#: The environment variable naming the council file.
COUNCIL_ENV = "ECF_COUNCIL"
#: The project file's name, found in the current folder or above.
PROJECT_FILE = "ecf.toml"
_KEYS = frozenset({"council"})


class ProjectError(EcfError, ValueError):
    """A project file (``ecf.toml``) that cannot be used."""


@attrs.frozen
class Project:
    """A project file as read.

    Attributes:
        file: Where it is.
        council: The council file it names, resolved against the project file's folder.
    """

    file: Path
    council: Path | None = None


def find_project(start: Path) -> Project | None:
    """The nearest ``ecf.toml`` in ``start`` or a folder above it, read and checked.

    Raises:
        ProjectError: the file cannot be read, is not TOML, has an unknown key, or its
            ``council`` is not a string.
    """
    for folder in (start, *start.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return _read(candidate)
    return None


def _read(file: Path) -> Project:
    data = load_toml(file, ProjectError)
    problems = [
        Problem(f"unknown key (known: {', '.join(sorted(_KEYS))})", key, file=str(file))
        for key in data
        if key not in _KEYS
    ]
    council = data.get("council")
    if council is not None and not isinstance(council, str):
        problems.append(Problem("must be a path, as a string", "council", council, str(file)))
    if problems:
        raise ProjectError(problems)
    return Project(file, None if council is None else file.parent / council)


def find_council(
    given: Path | None, environ: Mapping[str, str], cwd: Path
) -> tuple[Path | None, str]:
    """The council file to use, and where it came from (for ``--verbose``).

    Args:
        given: The command's ``--council``, if any: it wins.
        environ: The environment (``$ECF_COUNCIL``).
        cwd: Where the search for ``ecf.toml`` starts.

    Returns:
        The council file (``None``: no council) and its source: ``--council``, ``$ECF_COUNCIL``,
        the project file's path, or ``none``.

    Raises:
        ProjectError: a project file found on the way cannot be used.
    """
    if given is not None:
        return given, "--council"
    if COUNCIL_ENV in environ:
        value = environ[COUNCIL_ENV]
        return (Path(value) if value else None), f"${COUNCIL_ENV}"
    project = find_project(cwd)
    if project is None or project.council is None:
        return None, "none"
    return project.council, str(project.file)
