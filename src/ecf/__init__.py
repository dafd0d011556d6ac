"""ecf: track the early careers of social workers in England.

The facade: what an HR tool or a script imports is here, listed in ``__all__``.  Names are
loaded on first use, so that ``import ecf`` (and ``ecf --help``) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecf.editor import Editor as Editor
    from ecf.editor import Migration as Migration
    from ecf.editor import create as create
    from ecf.editor import edit as edit
    from ecf.editor import migrate as migrate
    from ecf.errors import ConflictError as ConflictError
    from ecf.errors import EcfError as EcfError
    from ecf.errors import FrameworkError as FrameworkError
    from ecf.errors import Problem as Problem
    from ecf.errors import RecordError as RecordError
    from ecf.errors import TransitionError as TransitionError
    from ecf.framework import Framework as Framework
    from ecf.framework import FrameworkRegistry as FrameworkRegistry
    from ecf.hookspecs import hookimpl as hookimpl
    from ecf.progression import advance as advance
    from ecf.progression import decide as decide
    from ecf.progression import new_record as new_record
    from ecf.records import Absence as Absence
    from ecf.records import Attachment as Attachment
    from ecf.records import Decision as Decision
    from ecf.records import Enrolment as Enrolment
    from ecf.records import Evidence as Evidence
    from ecf.records import HeldMilestone as HeldMilestone
    from ecf.records import HistoryEntry as HistoryEntry
    from ecf.records import PatternChange as PatternChange
    from ecf.records import Record as Record
    from ecf.records import record_from_dict as record_from_dict
    from ecf.records import record_to_dict as record_to_dict
    from ecf.status import Status as Status
    from ecf.status import events as events
    from ecf.status import status as status
    from ecf.store import open_record as open_record
    from ecf.store import read_record as read_record
    from ecf.store import save as save
    from ecf.timeline import due_date as due_date
    from ecf.timeline import stage_timeline as stage_timeline
    from ecf.validation import check_record as check_record

_WHERE = {
    "Absence": "ecf.records",
    "Attachment": "ecf.records",
    "ConflictError": "ecf.errors",
    "Decision": "ecf.records",
    "EcfError": "ecf.errors",
    "Editor": "ecf.editor",
    "Enrolment": "ecf.records",
    "Evidence": "ecf.records",
    "Framework": "ecf.framework",
    "FrameworkError": "ecf.errors",
    "FrameworkRegistry": "ecf.framework",
    "HeldMilestone": "ecf.records",
    "HistoryEntry": "ecf.records",
    "Migration": "ecf.editor",
    "PatternChange": "ecf.records",
    "Problem": "ecf.errors",
    "Record": "ecf.records",
    "RecordError": "ecf.errors",
    "Status": "ecf.status",
    "TransitionError": "ecf.errors",
    "advance": "ecf.progression",
    "check_record": "ecf.validation",
    "create": "ecf.editor",
    "decide": "ecf.progression",
    "due_date": "ecf.timeline",
    "edit": "ecf.editor",
    "events": "ecf.status",
    "hookimpl": "ecf.hookspecs",
    "migrate": "ecf.editor",
    "new_record": "ecf.progression",
    "open_record": "ecf.store",
    "read_record": "ecf.store",
    "record_from_dict": "ecf.records",
    "record_to_dict": "ecf.records",
    "save": "ecf.store",
    "stage_timeline": "ecf.timeline",
    "status": "ecf.status",
}

__all__ = sorted([*_WHERE, "__version__"])  # noqa: PLE0605 - names resolved by __getattr__


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415

        return version("ecf")
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    msg = f"module 'ecf' has no attribute {name!r}"
    raise AttributeError(msg)
