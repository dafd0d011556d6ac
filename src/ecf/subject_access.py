"""Everything held about a person in a record, for a subject access request (UK GDPR art. 15).

``ecf export --subject-access`` writes what :func:`subject_access` returns: the whole record as
held, the category of each field it holds (:mod:`ecf.fields`), and what ecf computes about the
person (status, timeline, the assessors' findings and recommendation).
``ecf export --subject-access FOLDER --id ID`` writes what :func:`subject_access_folder`
returns: every record file and backup under the folder holding the person's id.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecf import store
from ecf._convert import to_json
from ecf.assessors import assess as assess_
from ecf.errors import EcfError
from ecf.fields import CATEGORIES
from ecf.privacy import classify
from ecf.records import record_to_dict
from ecf.schemas import tag
from ecf.status import events, status

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Mapping

    from ecf.council import Council
    from ecf.framework import FrameworkRegistry
    from ecf.records import Record

__all__ = ["subject_access", "subject_access_folder"]


def subject_access(
    record: Record,
    registry: FrameworkRegistry,
    as_of: dt.date,
    *,
    council: Council | None = None,
    assess: Callable[..., Any] | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Everything held about the person in a record, and what ecf computes about them.

    Args:
        record: A valid record.
        registry: The frameworks.
        as_of: The date the computed parts are as of.
        council: The council's configuration, for the assessment (baseline only without).
        assess: The assessment function (default :func:`ecf.assessors.assess`).
        source: The record file's text, comments included (people write notes in comments).

    Returns:
        Plain data for JSON (``"schema": "subject-access/1"``): the whole record as held, the
        category of each field it holds, its status and timeline, the assessors' findings and
        recommendation, and the file's text when given.
    """
    run = assess or assess_
    settings = council.settings if council else None
    mapping: Mapping[str, Any] = {
        "schema": tag("subject-access"),
        "subject_access": {
            "record": record.id,
            "as_of": as_of.isoformat(),
            "contents": (
                "record: every field held, as held; classification: the category of each "
                "field; status, timeline and assessment: what ecf computes from the record; "
                "file: the record file as written, comments included"
            ),
            "categories": dict(CATEGORIES),
        },
        "record": record_to_dict(record),
        "classification": classify(record),
        "status": to_json(status(record, registry, as_of, settings=settings)),
        "timeline": [to_json(e) for e in events(record, registry, settings=settings)],
        "assessment": to_json(run(record, registry, as_of, council=council)),
    }
    if source is not None:
        mapping = {**mapping, "file": source}
    plain: dict[str, Any] = to_json(mapping)
    return plain


#: The files a folder search reads: record files, and the backups ``ecf migrate`` keeps.
_SEARCHED = (".toml", ".bak")


def _candidates(folder: Path) -> list[Path]:
    """Every regular ``*.toml`` and ``*.bak`` file under ``folder``, never through a link."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):  # os.walk follows no link to a folder
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            with contextlib.suppress(OSError):
                if name.endswith(_SEARCHED) and stat.S_ISREG(path.lstat().st_mode):
                    found.append(path)
    return found


def subject_access_folder(
    folder: str | os.PathLike[str],
    record_id: str,
    registry: FrameworkRegistry,
    as_of: dt.date,
    *,
    council: Council | None = None,
    assess: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """Everything a folder holds about the person with ``record_id``: records and backups.

    Every regular ``*.toml`` and ``*.bak`` file under the folder (hidden ones too, links not
    followed) is read.  A record file holding the id gets the whole export of
    :func:`subject_access`; a backup (``FILE.schemaN.bak``, a record as it was before ``ecf
    migrate``) holding it, the record as held and its classification; any other file whose
    text holds the id (a record that names it, a file ecf cannot read) is listed by name.

    Args:
        folder: The records folder.
        record_id: The person's id.
        registry: The frameworks.
        as_of: The date the computed parts are as of.
        council: The council's configuration, for the assessment.
        assess: The assessment function (default :func:`ecf.assessors.assess`).

    Returns:
        Plain data for JSON (``"schema": "subject-access-folder/1"``): ``records`` (each one
        :func:`subject_access`'s export with its ``path``), ``backups`` and ``mentions``.
    """
    root = Path(folder)
    needle = record_id.encode("utf-8", "surrogateescape")
    records: list[dict[str, Any]] = []
    backups: list[dict[str, Any]] = []
    mentions: list[str] = []
    for path in _candidates(root):
        try:
            data = store.read_bytes(path)
        except EcfError:
            continue
        if needle not in data:
            continue
        try:
            record = store.parse_record(data, path)
        except EcfError:
            mentions.append(str(path))
            continue
        if record.id != record_id:
            mentions.append(str(path))
        elif path.name.endswith(".bak"):
            backups.append(
                {
                    "path": str(path),
                    "record": to_json(record_to_dict(record)),
                    "classification": classify(record),
                    "text": data.decode("utf-8", "replace"),
                }
            )
        else:
            export = subject_access(
                record,
                registry,
                as_of,
                council=council,
                assess=assess,
                source=data.decode("utf-8", "replace"),
            )
            records.append({"path": str(path), **export})
    found: Mapping[str, Any] = {
        "schema": tag("subject-access-folder"),
        "subject_access": {
            "record": record_id,
            "folder": str(root),
            "as_of": as_of.isoformat(),
            "contents": (
                "records: each record file holding the id, exported whole; backups: each "
                "backup (FILE.schemaN.bak) holding it, as held; mentions: other files "
                "whose text holds the id"
            ),
            "categories": dict(CATEGORIES),
        },
        "records": records,
        "backups": backups,
        "mentions": mentions,
    }
    plain: dict[str, Any] = to_json(found)
    return plain
