"""The parallel, cached scan of record files, as every report over a folder runs it.

``ecf cohort``, ``ecf workforce``, ``ecf calendar``, ``ecf census`` and ``ecf export --format
sqlite`` read their records through :func:`ecf.cohort.scan_records`: every core, the record
cache, each file once, an id held by several files reported once.  This module gives them its
two options and one call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import click

from ecf.cli import echo, state, today

if TYPE_CHECKING:
    import datetime as dt
    import os
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from ecf.cohort import ScanContext, Scanned
    from ecf.records import Record

__all__ = ["report_failures", "scan", "scan_options"]

_F = TypeVar("_F", bound="Callable[..., Any]")
T = TypeVar("T")


def scan_options(command: _F) -> _F:
    """A report over a folder's options: ``--workers`` and ``--no-cache`` (as ``ecf cohort``)."""
    command = click.option(
        "--no-cache", is_flag=True, help="Parse every file; do not use or fill the record cache."
    )(command)
    return click.option(
        "--workers", type=click.IntRange(min=1), help="Processes to use (default: every core)."
    )(command)


def scan(
    paths: Iterable[str | os.PathLike[str]],
    each: Callable[[Record, ScanContext], T],
    *,
    as_of: dt.date,
    council_file: Path | None = None,
    workers: int | None = None,
    no_cache: bool = False,
    chunk_end: Callable[[], None] | None = None,
) -> Scanned[T]:
    """``each`` of every valid record under ``paths`` (files, folders), with the failures.

    The frameworks (``--framework``) are loaded here first, so a bad file is one error before
    any worker starts; a council file is given only when ``each`` assesses (its workers load
    the council and the plugins).  ``chunk_end`` is :func:`ecf.cohort.scan_records`'s.
    """
    from ecf import cohort
    from ecf.cache import default_cache_dir

    shared = state()
    shared.registry  # noqa: B018 - loads the framework files: a bad one fails here, once
    options = cohort.ScanOptions(
        as_of=as_of,
        today=today(),
        framework_files=tuple(str(f) for f in shared.framework_files),
        council_file=str(council_file) if council_file else None,
        cache_dir=None if no_cache else str(default_cache_dir()),
    )
    return cohort.scan_records(paths, options, each, workers=workers, chunk_end=chunk_end)


def report_failures(scanned: Scanned[Any]) -> None:
    """One ``error:`` line on stderr per problem of each file that could not be used."""
    for failure in scanned.failures:
        for line in failure.lines():
            echo(f"error: {line}", err=True)
