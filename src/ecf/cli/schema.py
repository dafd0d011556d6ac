"""The schema command: the JSON Schema of each JSON output, and of record files."""

from __future__ import annotations

import click

from ecf.cli import echo


@click.command()
@click.argument("name", required=False)
def schema(name: str | None) -> None:
    """Print the JSON Schema of a JSON output (or of record files: record); list them.

    Every JSON output of ecf carries "schema": "NAME/VERSION"; `ecf schema NAME` prints that
    schema (draft 2020-12).  `ecf schema record` describes a record file, for editors that
    check TOML against a JSON Schema.  Without NAME, lists every schema.
    """
    import json

    from ecf import schemas

    if name is None:
        width = max(len(schemas.tag(n)) for n in schemas.names())
        for known in schemas.names():
            echo(f"{schemas.tag(known):<{width}}  {schemas.SCHEMAS[known].describes}")
        return
    echo(json.dumps(schemas.load(name), indent=2, ensure_ascii=False))
