"""The trust commands: verify the tamper-evident history; migrate records to the current schema."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ecf.cli import EXIT_BAD_INPUT, echo, state, today
from ecf.cli.types import RECORD

if TYPE_CHECKING:
    from pathlib import Path


@click.command()
@click.argument("files", nargs=-1, required=True, type=RECORD)
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="An Ed25519 public key (ecf keys new): every entry after the first signed one must be "
    "signed by one of the keys given.  Repeat for a record that changed hands.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='One JSON object ("schema": "verify/1"): each record, intact or its problems.',
)
def verify(files: tuple[Path, ...], public_keys: tuple[str, ...], as_json: bool) -> None:
    """Check that no past history entry or decision of a record was edited or removed by hand.

    Every entry seals the record's whole content as its change left it: any change not made
    through ecf is reported at the entry whose seal it broke.  With --public-key, the
    signatures prove that no entry was rewritten, even consistently.  Exit 0 when every
    record is intact, 2 when any is not (each problem on one line, naming the entry).
    """
    from ecf.errors import EcfError
    from ecf.history import verify as verify_
    from ecf.signing import load_public_key
    from ecf.store import read_record

    keys = [load_public_key(k) for k in public_keys] if public_keys else None
    if as_json:
        from ecf.cli import dumps, problems_json
        from ecf.schemas import tag

        rows: list[dict[str, object]] = []
        for file in files:
            try:
                record = read_record(file)
            except EcfError as exc:
                row: dict[str, object] = {"id": None, "entries": None, "problems": exc.problems}
            else:
                found = [p.with_file(file) for p in verify_(record, keys)]
                row = {"id": record.id, "entries": len(record.history), "problems": found}
            listed = problems_json(row.pop("problems"))
            rows.append({"file": str(file), **row, "intact": not listed, "problems": listed})
        failed = sum(not row["intact"] for row in rows)
        echo(dumps({"schema": tag("verify"), "records": rows, "failed": failed}))
        if failed:
            raise click.exceptions.Exit(EXIT_BAD_INPUT)
        return
    bad = 0
    for file in files:
        try:
            record = read_record(file)
        except EcfError as exc:
            bad += 1
            for line in exc.lines():
                echo(f"error: {line}", err=True)
            continue
        problems = verify_(record, keys)
        if problems:
            bad += 1
            for problem in problems:
                echo(f"error: {problem.with_file(file)}", err=True)
        else:
            signed = " and signed" if keys is not None else ""
            echo(f"{file}: intact{signed} ({record.id}, {len(record.history)} entries)")
    if bad:
        echo(f"{bad} of {len(files)} records failed verification", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT)


@click.command()
@click.argument("files", nargs=-1, required=True, type=RECORD)
@click.option("--dry-run", is_flag=True, help="Say what would be migrated; write nothing.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='One JSON object ("schema": "migrate/1"): each file, its schema, its backup.',
)
def migrate(files: tuple[Path, ...], dry_run: bool, as_json: bool) -> None:
    """Upgrade record files to the current schema, keeping a backup of each.

    The backup is FILE.schemaN.bak beside it (N: the schema it had), written before the
    record as one recoverable step: an existing backup (or a link planted as its name) is
    never replaced nor followed, and a migration killed between its two writes is finished by
    running it again.  A file already current is left alone.
    """
    from ecf.migration import migrate as migrate_

    shared = state()
    rows: list[dict[str, object]] = []
    for file in files:
        done = migrate_(
            file, by=shared.user_name(), dry_run=dry_run, registry=shared.registry, today=today()
        )
        if as_json:
            rows.append(
                {
                    "file": str(file),
                    "old_schema": done.old_schema,
                    "new_schema": done.new_schema,
                    "needed": done.needed,
                    "written": done.written,
                    "backup": None if done.backup is None else str(done.backup),
                }
            )
            continue
        if done.backup is None:
            echo(f"{file}: already schema {done.old_schema}")
        elif not done.written:
            echo(
                f"{file}: would migrate schema {done.old_schema} to {done.new_schema} "
                f"(backup {done.backup.name})"
            )
        else:
            echo(
                f"{file}: schema {done.old_schema} to {done.new_schema} (backup {done.backup.name})"
            )
    if as_json:
        from ecf.cli import dumps
        from ecf.schemas import tag

        echo(dumps({"schema": tag("migrate"), "dry_run": dry_run, "files": rows}))


@click.group()
def keys() -> None:
    """Make and use the Ed25519 keys that sign every history entry written."""


@keys.command("new")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, exists=True),
    help="The folder to write ecf-signing.key (owner-only) and ecf-signing.pub to.",
)
def keys_new(out: str) -> None:
    """Make an Ed25519 key pair: the private key signs, the public key verifies.

    Keep ecf-signing.key to the council (it is written owner-only, 0600); give
    ecf-signing.pub to whoever checks a record (`ecf verify --public-key`).  Sign with
    `ecf --key FILE ...` or $ECF_SIGNING_KEY.  Existing files are never replaced.
    """
    from ecf.signing import new_key_pair

    private, public, fingerprint = new_key_pair(out)
    echo(f"{fingerprint}: private key {private} (keep it), public key {public} (share it)")
