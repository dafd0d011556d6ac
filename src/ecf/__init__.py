"""ecf: track the early careers of social workers in England.

The facade: what an HR tool, a script or a plugin author imports is here.  One table,
:data:`_WHERE`, says where each name lives; ``__all__``, ``dir(ecf)`` and the lazy imports all
come from it, so that ``import ecf`` (and ``ecf --help``) loads nothing until a name is used.
The ``TYPE_CHECKING`` imports below repeat the table for type checkers only (a test keeps the
two equal).

A name of the facade is never hidden by the submodule of the same name: ``ecf.status`` is the
function even after ``import ecf.status`` (the module is ``sys.modules["ecf.status"]``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecf._convert import to_json as to_json
    from ecf.anonymisation import Anonymised as Anonymised
    from ecf.anonymisation import anonymise_file as anonymise_file
    from ecf.assessors import Assessment as Assessment
    from ecf.assessors import assess as assess
    from ecf.assessors import what_if as what_if
    from ecf.council import Council as Council
    from ecf.council import CouncilError as CouncilError
    from ecf.council import CouncilSettings as CouncilSettings
    from ecf.council import RuleOverride as RuleOverride
    from ecf.council import load_council as load_council
    from ecf.editor import Editor as Editor
    from ecf.editor import create as create
    from ecf.editor import edit as edit
    from ecf.errors import ConflictError as ConflictError
    from ecf.errors import EcfError as EcfError
    from ecf.errors import FrameworkError as FrameworkError
    from ecf.errors import Problem as Problem
    from ecf.errors import RecordError as RecordError
    from ecf.errors import TransitionError as TransitionError
    from ecf.findings import Context as Context
    from ecf.findings import Finding as Finding
    from ecf.findings import FindingStatus as FindingStatus
    from ecf.findings import Recommendation as Recommendation
    from ecf.framework import Framework as Framework
    from ecf.framework import FrameworkRegistry as FrameworkRegistry
    from ecf.hookspecs import hookimpl as hookimpl
    from ecf.migration import Migration as Migration
    from ecf.migration import migrate as migrate
    from ecf.plugin_manager import get_plugins as get_plugins
    from ecf.records import Absence as Absence
    from ecf.records import AgreedDate as AgreedDate
    from ecf.records import Appeal as Appeal
    from ecf.records import Assignment as Assignment
    from ecf.records import Attachment as Attachment
    from ecf.records import Decision as Decision
    from ecf.records import Employment as Employment
    from ecf.records import Enrolment as Enrolment
    from ecf.records import Evidence as Evidence
    from ecf.records import HeldMilestone as HeldMilestone
    from ecf.records import HistoryEntry as HistoryEntry
    from ecf.records import Leaving as Leaving
    from ecf.records import PatternChange as PatternChange
    from ecf.records import PriorStage as PriorStage
    from ecf.records import Record as Record
    from ecf.records import record_from_dict as record_from_dict
    from ecf.records import record_to_dict as record_to_dict
    from ecf.rules import RuleError as RuleError
    from ecf.status import Event as Event
    from ecf.status import Status as Status
    from ecf.status import events as events
    from ecf.status import status as status
    from ecf.store import read_record as read_record
    from ecf.timeline import due_date as due_date
    from ecf.timeline import stage_timeline as stage_timeline
    from ecf.tuning import check_council as check_council
    from ecf.validation import check_record as check_record

#: Where each public name lives, by module: the one table of the facade.
_WHERE: dict[str, str] = {
    # errors
    "ConflictError": "ecf.errors",
    "CouncilError": "ecf.council",
    "EcfError": "ecf.errors",
    "FrameworkError": "ecf.errors",
    "Problem": "ecf.errors",
    "RecordError": "ecf.errors",
    "RuleError": "ecf.rules",
    "TransitionError": "ecf.errors",
    # values: frameworks, records, councils
    "Absence": "ecf.records",
    "AgreedDate": "ecf.records",
    "Assignment": "ecf.records",
    "Appeal": "ecf.records",
    "Attachment": "ecf.records",
    "Council": "ecf.council",
    "CouncilSettings": "ecf.council",
    "Decision": "ecf.records",
    "Employment": "ecf.records",
    "Enrolment": "ecf.records",
    "Evidence": "ecf.records",
    "Framework": "ecf.framework",
    "FrameworkRegistry": "ecf.framework",
    "HeldMilestone": "ecf.records",
    "HistoryEntry": "ecf.records",
    "Leaving": "ecf.records",
    "PatternChange": "ecf.records",
    "PriorStage": "ecf.records",
    "Record": "ecf.records",
    "load_council": "ecf.council",
    "record_from_dict": "ecf.records",
    "record_to_dict": "ecf.records",
    # reading a record, and where it stands
    "Event": "ecf.status",
    "Status": "ecf.status",
    "check_record": "ecf.validation",
    "due_date": "ecf.timeline",
    "events": "ecf.status",
    "read_record": "ecf.store",
    "stage_timeline": "ecf.timeline",
    "status": "ecf.status",
    # changing records: the one way
    "Anonymised": "ecf.anonymisation",
    "anonymise_file": "ecf.anonymisation",
    "Editor": "ecf.editor",
    "Migration": "ecf.migration",
    "create": "ecf.editor",
    "edit": "ecf.editor",
    "migrate": "ecf.migration",
    # assessment, and what plugin authors need
    "Assessment": "ecf.assessors",
    "Context": "ecf.findings",
    "Finding": "ecf.findings",
    "FindingStatus": "ecf.findings",
    "Recommendation": "ecf.findings",
    "assess": "ecf.assessors",
    "get_plugins": "ecf.plugin_manager",
    "hookimpl": "ecf.hookspecs",
    "what_if": "ecf.assessors",
    # a council's tuning of single rules ([rules.ID] in council.toml)
    "RuleOverride": "ecf.council",
    "check_council": "ecf.tuning",
    # output
    "to_json": "ecf._convert",
}

__all__ = sorted([*_WHERE, "__version__"])  # noqa: PLE0605 - names resolved by __getattr__


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415

        from ecf._version import DISTRIBUTION  # noqa: PLC0415

        return version(DISTRIBUTION)
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    msg = f"module 'ecf' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return [*__all__, *sorted(n for n in globals() if n.startswith("__"))]


class _Facade(types.ModuleType):
    """The ``ecf`` module: importing a submodule never hides the facade name it shares."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _WHERE and isinstance(value, types.ModuleType):
            return  # ``import ecf.status`` binds sys.modules["ecf.status"], not ecf.status
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Facade
