"""The cache commands: ``ecf cache clear`` removes the cohort cache, or one record's entries."""

from __future__ import annotations

import click

from ecf.cli import echo


@click.group()
def cache() -> None:
    """Work with the cohort cache of parsed records (data only, owner-only)."""


@cache.command("clear")
@click.option(
    "--record",
    "record_id",
    metavar="ID",
    help="Remove only this record's entries (an anonymised record's), not the whole cache.",
)
def clear(record_id: str | None) -> None:
    """Remove the cohort cache ($ECF_CACHE_DIR or the platform's cache folder).

    Nothing is lost: the next cohort parses the record files again.
    """
    from ecf import cache as cache_

    folder = cache_.default_cache_dir()
    if record_id is not None:
        removed = cache_.forget(record_id, folder)
        echo(f"removed {removed} cached record(s) of {record_id} from {folder}")
        return
    files = cache_.clear(folder)
    echo(f"removed {len(files)} cache file(s) from {folder}")
