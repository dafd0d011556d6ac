"""Changes to one record file, made safely: what ``ecf new``, ``ecf add``, ``ecf decide`` do.

This module is long because the :class:`Editor`'s methods mirror the CLI's commands one for
one, each documented for library callers, around the one transaction they share.

A change to a record on disk is a small transaction, the same for every kind of change:

1. take the record's lock (:func:`ecf.store.locked`), so a second writer waits its turn;
2. read the file (:func:`ecf.store.open_record`), refuse one of an older schema (``ecf
   migrate`` upgrades it first) and check the record as read;
3. make the changes, each with its history entry (who, when, what; chained to the entry before);
4. check the whole record, and write it atomically (:func:`ecf.store.save`), refusing a file
   that changed on disk since it was read.

:func:`edit` runs it as a ``with`` block around an :class:`Editor`, whose methods are the
commands of the CLI; :func:`create` starts a record file (:func:`ecf.migration.migrate`
upgrades one).
The CLI makes every change through them, so a script writes exactly the file the command line
would::

    import datetime as dt
    import ecf

    with ecf.edit("amira.toml", by="hr-tool") as editor:
        editor.add_hours(dt.date(2026, 6, 1), "0.6")
        editor.add_evidence("direct-observation", dt.date(2026, 3, 18), standards=["pcf:7"])

Each method checks its input and the record it makes before keeping the change: a refused
change raises an :class:`~ecf.errors.EcfError` naming the file and leaves the editor's record
as it was.  An exception that leaves the block writes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

import attrs

from ecf import _arguments as arguments
from ecf import _logs, agreements, attachments, store
from ecf.employment import refuse_if_closed
from ecf.employment import rejoin as rejoin_record
from ecf.employment import transfer as transfer_record
from ecf.errors import ConflictError, EcfError, Problem, RecordError
from ecf.framework import SERVICES, FrameworkRegistry, Service
from ecf.history import sign
from ecf.items import PREFIXES, find, id_attr, next_id, with_ids
from ecf.items import correct as correct_item
from ecf.items import retract as retract_item
from ecf.progression import advance as advance_record
from ecf.progression import decide as decide_record
from ecf.progression import leave as leave_record
from ecf.progression import new_record, timeline_for
from ecf.records import (
    APPEAL_OUTCOMES,
    OUTCOMES,
    ROLES,
    SCHEMA_VERSION,
    Absence,
    AgreedDate,
    Appeal,
    AppealOutcome,
    Assignment,
    Decision,
    Employment,
    Enrolment,
    Evidence,
    HeldMilestone,
    HistoryEntry,
    Leaving,
    Outcome,
    PatternChange,
    PriorStage,
    Record,
    Role,
    content_seal,
    decision_by_ref,
    decision_ref,
    digest,
)
from ecf.validation import ensure_valid

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from fractions import Fraction
    from pathlib import Path

    from ecf.signing import SigningKey
    from ecf.store import RecordFile

T = TypeVar("T")

__all__ = [
    "Editor",
    "create",
    "edit",
    "local_today",
    "naming",
    "refuse_old_schema",
    "registry_or_default",
    "stamp",
    "utc_now",
    "write_planned",
]


def utc_now() -> dt.datetime:
    """Now, in UTC, to the second: the time a history entry records by default."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def local_today() -> dt.date:
    """Today's local date."""
    return dt.date.today()  # noqa: DTZ011 - a person's local date is what "today" means here


def registry_or_default(registry: FrameworkRegistry | None) -> FrameworkRegistry:
    """The frameworks given, else the shipped ones (and ``$ECF_FRAMEWORK_PATH``'s)."""
    return FrameworkRegistry.default() if registry is None else registry


def stamp(clock: Callable[[], dt.datetime]) -> dt.datetime:
    """The clock's time, refused unless aware (a history entry says when, in UTC)."""
    at = clock()
    if not isinstance(at, dt.datetime) or at.utcoffset() is None:
        raise arguments.refuse("the clock must give an aware date and time (in UTC)", "clock")
    return at.astimezone(dt.UTC)


def refuse_old_schema(record: Record, path: Path) -> None:
    """Refuse to change a record of an older schema: ``ecf migrate`` upgrades it first.

    Raises:
        RecordError: naming the file and the schema it was written with.
    """
    if record.schema_version < SCHEMA_VERSION:
        raise RecordError(
            [
                Problem(
                    f"written with schema {record.schema_version}; run `ecf migrate {path}` "
                    "first (it keeps a backup)",
                    "schema_version",
                    record.schema_version,
                    str(path),
                )
            ]
        )


@contextlib.contextmanager
def naming(path: Path) -> Iterator[None]:
    """Every :class:`~ecf.errors.EcfError` raised inside names ``path``."""
    try:
        yield
    except EcfError as exc:
        raise exc.with_file(path) from exc


#: The variable that names the key history entries are signed with
#: (:data:`ecf.signing.SIGNING_KEY_ENV`; a test keeps the two equal).
_SIGNING_KEY_ENV = "ECF_SIGNING_KEY"


def _current_key() -> SigningKey | None:
    """:func:`ecf.signing.current_key`, without importing :mod:`ecf.signing` when no key is in use.

    A key is in use only through ``$ECF_SIGNING_KEY`` or :func:`ecf.signing.using` (which
    imports the module): when neither can be, no entry is signed, and an edit does not import
    the module, its key classes and ``base64`` (issue 14).
    """
    if _SIGNING_KEY_ENV not in os.environ and "ecf.signing" not in sys.modules:
        return None
    from ecf import signing  # noqa: PLC0415 - only when a key may be in use (see above)

    return signing.current_key()


class Editor:
    """The record being changed inside a :func:`edit` block; each method is one change.

    Each method checks its input, makes the change as the CLI command of the same name does
    (the same history entry: action, detail and the digest of what it added) and checks the
    whole record; only then is the change kept.  A refusal raises an
    :class:`~ecf.errors.EcfError` naming the file, and keeps the record as it was.

    Attributes:
        path: The record file.
        record: The record as it stands now, with every change kept so far (after the block:
            as written).
    """

    __slots__ = (
        "_by",
        "_clock",
        "_closed",
        "_fresh",
        "_key",
        "_opened",
        "_record",
        "_registry",
        "_today",
    )

    def __init__(
        self,
        opened: RecordFile,
        *,
        by: str,
        registry: FrameworkRegistry,
        today: dt.date,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self._opened = opened
        self._record = opened.record
        self._by = by
        self._registry = registry
        self._today = today
        self._clock = clock
        self._fresh = False
        self._closed = False
        self._key = _current_key()

    @property
    def path(self) -> Path:
        """The record file."""
        return self._opened.path

    @property
    def record(self) -> Record:
        """The record as it stands now."""
        return self._record

    @property
    def changed(self) -> bool:
        """Whether a change was made (leaving the block writes only then)."""
        return self._record is not self._opened.record

    def __repr__(self) -> str:
        return f"Editor({str(self.path)!r}, id={self._record.id!r}, changed={self.changed})"

    # --- the changes ------------------------------------------------------------------------

    def add_hours(self, from_: dt.date, fte: Fraction | float | str) -> PatternChange:
        """Record a working-pattern change from a date on (``ecf add hours``).

        Args:
            from_: The first day of the new pattern.
            fte: The full-time equivalent in (0, 1]: ``Fraction(3, 5)``, ``0.6`` or ``"3/5"``.

        Returns:
            The working-pattern change added.

        Raises:
            RecordError: a bad date or FTE, or a record the change would make invalid.
        """
        with self._changing():
            first = arguments.date(from_, "from")
            record = self._record
            hours = _ids(record.hours, "hours")
            change = PatternChange(first, arguments.fte(fte), next_id(hours, "hr"))
            self._keep(
                record.changed(
                    self._entry("add-hours", f"{float(change.fte):g} FTE from {first}"),
                    hours=tuple(sorted((*hours, change), key=lambda c: c.from_)),
                )
            )
        return change

    def add_absence(self, kind: str, first: dt.date, last: dt.date) -> Absence:
        """Record an absence (``ecf add absence``); a long one of a pausing kind moves due dates.

        Args:
            kind: An absence kind of the framework (``sickness``, ``parental``...).
            first: The first day of absence.
            last: The last day of absence (inclusive).

        Returns:
            The absence added.

        Raises:
            RecordError: a bad kind or date, or an absence that overlaps another.
        """
        with self._changing():
            record = self._record
            absences = _ids(record.absences, "absences")
            absence = Absence(
                arguments.text(kind, "kind"),
                arguments.date(first, "first"),
                arguments.date(last, "last"),
                next_id(absences, "ab"),
            )
            self._keep(
                record.changed(
                    self._entry("add-absence", f"{absence.kind} {absence.first} to {absence.last}"),
                    absences=tuple(sorted((*absences, absence), key=lambda a: a.first)),
                )
            )
        return absence

    def add_evidence(
        self,
        kind: str,
        date: dt.date,
        *,
        standards: Iterable[str] = (),
        by: str | None = None,
        note: str | None = None,
        attach: str | os.PathLike[str] | None = None,
    ) -> Evidence:
        """Log a piece of evidence (``ecf add evidence``), with the next free id (``ev-NNN``).

        Args:
            kind: An evidence kind of the framework (``direct-observation``).
            date: When it happened or was written.
            standards: The standards it evidences (``kss-cf:6``, ``pcf:7``).
            by: Who wrote or observed it.
            note: A short note.
            attach: A file to reference: a path (absolute, or relative to the working folder)
                to a regular file inside the record's folder.  The record keeps its path
                relative to that folder and its sha256.

        Returns:
            The evidence added (its ``id`` is the new evidence id).

        Raises:
            RecordError: a bad kind, date or standard; an attachment outside the record's
                folder, missing, or not a regular file (a folder, a pipe...).
        """
        with self._changing():
            when = arguments.date(date, "date")
            listed = arguments.texts(standards, "standards")
            attachment = None if attach is None else attachments.attach(self.path, attach)
            record = self._record
            evidence = Evidence(
                record.next_evidence_id(),
                arguments.text(kind, "kind"),
                when,
                listed,
                arguments.optional_text(by, "by"),
                attachment,
                arguments.optional_text(note, "note"),
            )
            entry = self._entry("add-evidence", f"{evidence.id} {kind} {when}", digest(evidence))
            self._keep(record.changed(entry, evidence=(*record.evidence, evidence)))
        return evidence

    def add_review(self, milestone_id: str, date: dt.date) -> HeldMilestone:
        """Record that a milestone (review point) of the current stage was held.

        Args:
            milestone_id: A milestone of the current stage (``review-3m``).
            date: When it was held.

        Returns:
            The milestone held.

        Raises:
            RecordError: an unknown milestone, or a bad date.
        """
        with self._changing():
            current = self._current()
            record = self._record
            held = HeldMilestone(
                current.stage,
                arguments.text(milestone_id, "milestone"),
                arguments.date(date, "date"),
                next_id(record.milestones, "rv", "ref"),
            )
            entry = self._entry("add-review", f"{held.stage} {held.id} {held.date}", digest(held))
            self._keep(record.changed(entry, milestones=(*record.milestones, held)))
        return held

    def agree(self, milestone: str, due: dt.date, *, note: str | None = None) -> AgreedDate:
        """Record the due date agreed for a milestone of the current stage (``ecf agree``).

        The agreed date replaces the computed one (both are shown); a pausing absence that
        starts before it moves it by the paused days.  A later agreement for the same milestone
        replaces the one in force; the history entry says the old date and the new.

        Args:
            milestone: A milestone of the current stage (``review-3m``).
            due: The date agreed, on or after the stage's start.
            note: Why, or who agreed it (personal: never shown in errors).

        Returns:
            The agreement in force.

        Raises:
            RecordError: an unknown milestone, a bad date, or a date before the stage started.
        """
        with self._changing():
            current = self._current()
            agreed = AgreedDate(
                current.stage,
                arguments.text(milestone, "milestone"),
                arguments.date(due, "due"),
                arguments.optional_text(note, "note"),
            )
            record = self._record
            replaced = agreements.agreement(record, agreed.stage, agreed.milestone)
            computed = self._computed(current, agreed.milestone)
            was = (
                f"was agreed {replaced.due}"
                if replaced is not None
                else f"computed {computed}"
                if computed is not None
                else "no computed date"
            )
            detail = f"{agreed.stage} {agreed.milestone} agreed {agreed.due} ({was})"
            self._keep(agreements.agree(record, agreed, self._entry("agree", detail)))
        return agreed

    def assign(self, role: Role, name: str, from_: dt.date) -> Assignment:
        """Put a colleague in a role around the practitioner from a day on (``ecf assign``).

        A new assignment of a role ends the previous one of that role the day before.

        Args:
            role: ``assessor``, ``supervisor`` or ``coordinator``.
            name: The colleague's name (personal: never shown in errors or the history's detail).
            from_: Their first day in the role; after the current one's first day.

        Returns:
            The assignment added.

        Raises:
            RecordError: an unknown role, an empty name, a bad date, or a date not after the
                current assignment of that role started.
        """
        with self._changing():
            if role not in ROLES:
                raise arguments.refuse(
                    f"unknown role (known: {', '.join(ROLES)})", "role", arguments.shown(role)
                )
            assignment = Assignment(
                role,
                arguments.text(name, "name"),
                arguments.date(from_, "from"),
                id=next_id(self._record.assignments, "as"),
            )
            record = self._record
            detail = f"{role} from {assignment.from_}"
            latest = agreements.latest(record, role)
            if latest is not None and (latest.to is None or latest.to >= assignment.from_):
                detail += f" (the previous one's last day: {assignment.from_ - dt.timedelta(1)})"
            self._keep(agreements.assign(record, assignment, self._entry("assign", detail)))
        return assignment

    def decide(
        self,
        outcome: Outcome,
        date: dt.date,
        *,
        by: str,
        panel: str | None = None,
        until: dt.date | None = None,
        corrects: str | int | None = None,
        reason: str | None = None,
    ) -> Decision:
        """Record a people's decision on the current stage (``ecf decide``); never overwritten.

        Args:
            outcome: ``pass``, ``progressed`` (``ecf-1`` only), ``fail``, ``extended``,
                ``deferred`` or ``withdrawn``: the framework's outcomes.
            date: The date of the decision.
            by: Who decided.
            panel: The panel that confirmed it.
            until: The new end date (``extended``; optionally ``deferred``).
            corrects: The decision this one corrects, by its id as ``ecf timeline`` shows it
                (``dec-1``; its 0-based index is still accepted): both stay recorded.
            reason: A reason code of the framework's list for the outcome; needed for
                ``fail``, ``extended``, ``deferred`` and ``withdrawn``.

        Returns:
            The decision added.

        Raises:
            TransitionError: a decision the progression rules refuse (a closed stage, a
                correction of anything but the latest decision, an extension that does not
                move the end date later, a missing or unknown reason code...).
            RecordError: a bad outcome, date or name.
        """
        with self._changing():
            if outcome not in OUTCOMES:
                raise arguments.refuse(
                    f"unknown outcome (known: {', '.join(OUTCOMES)})",
                    "outcome",
                    arguments.shown(outcome),
                )
            index = None if corrects is None else self._decision_index(corrects)
            decision = Decision(
                self._current().stage,
                outcome,
                arguments.date(date, "date"),
                arguments.text(by, "by"),
                arguments.optional_text(panel, "panel"),
                arguments.optional_date(until, "until"),
                index,
                next_id(self._record.decisions, "dec"),
                arguments.optional_text(reason, "reason"),
            )
            note = f" correcting dec-{index + 1}" if index is not None else ""
            entry = self._entry("decide", f"{decision.stage} {outcome} {decision.date}{note}")
            self._keep(decide_record(self._record, decision, self._registry, entry))
        return decision

    def appeal(
        self,
        decision: str,
        *,
        lodged: dt.date | None = None,
        outcome: AppealOutcome | None = None,
        date: dt.date | None = None,
        by: str | None = None,
    ) -> Appeal:
        """Record an appeal against a decision (``ecf appeal``): lodged, then its outcome.

        Give ``lodged`` to record the appeal, or ``outcome``, ``date`` and ``by`` to record how
        the open appeal ended.  An upheld appeal sets the decision aside: after an upheld
        appeal against a fail the stage awaits a new decision (:mod:`ecf.appeals`).

        Args:
            decision: The decision appealed, ``dec-N``: the N-th decision recorded (1-based, as
                ``ecf timeline`` lists them).
            lodged: The day the appeal was lodged (within the framework's window).
            outcome: ``upheld`` or ``dismissed``.
            date: The day of the appeal's outcome.
            by: Who decided the appeal.

        Returns:
            The appeal as recorded.

        Raises:
            TransitionError: an unknown decision, an appeal lodged twice or outside its window,
                an outcome with no appeal lodged, or one already decided.
            RecordError: both or neither of ``lodged`` and ``outcome``, a bad date or name.
        """
        from ecf.appeals import close_appeal, lodge_appeal  # noqa: PLC0415 - only appeals (issue 14)

        with self._changing():
            ref = arguments.text(decision, "decision")
            if (lodged is None) == (outcome is None):
                raise arguments.refuse(
                    "give the day the appeal was lodged, or its outcome (with date and by)",
                    "decision",
                    arguments.shown(ref),
                )
            if lodged is not None:
                day = arguments.date(lodged, "lodged")
                entry = self._entry("appeal", f"appeal against {ref.strip()} lodged on {day}")
                record = self._keep(lodge_appeal(self._record, ref, day, self._registry, entry))
                return record.appeals[-1]
            if outcome not in APPEAL_OUTCOMES:
                raise arguments.refuse(
                    f"unknown appeal outcome (known: {', '.join(APPEAL_OUTCOMES)})",
                    "outcome",
                    arguments.shown(outcome),
                )
            if date is None or by is None:
                raise arguments.refuse(
                    "an appeal's outcome needs its date and who decided it", "date"
                )
            day = arguments.date(date, "date")
            who = arguments.text(by, "by")
            entry = self._entry(
                "appeal-outcome", f"appeal against {ref.strip()} {outcome} on {day}"
            )
            record = self._keep(close_appeal(self._record, ref, outcome, day, who, entry))
            found = decision_by_ref(record, ref)
            assert found is not None  # noqa: S101 - close_appeal checked it
            return next(a for a in record.appeals if a.decision == decision_ref(found[0]))

    def advance(self, stage: str, start: dt.date) -> Enrolment:
        """Start the next stage after a pass (``ecf advance``).

        Args:
            stage: The next stage (``ecf-2``).
            start: Its first day.

        Returns:
            The new enrolment, under the framework version in force on ``start``
            (:meth:`~ecf.framework.FrameworkRegistry.for_start`).  A superseded stage is not
            refused: :func:`ecf.progression.superseded` gives the warning to show.

        Raises:
            TransitionError: the current stage has no pass, ``stage`` does not follow it, or
                ``start`` is not after the current stage's start.
        """
        with self._changing():
            first = arguments.date(start, "start")
            entry = self._entry("advance", f"started {arguments.text(stage, 'stage')} on {first}")
            record = self._keep(advance_record(self._record, stage, first, self._registry, entry))
        return self._current(record)

    def leave(self, date: dt.date, reason: str) -> Leaving:
        """Record that the practitioner left employment (``ecf leave``); the record is closed.

        Args:
            date: The last day of employment.
            reason: Why: ``resigned``, ``moved council``, ``retired``...

        Returns:
            The leaving recorded.

        Raises:
            TransitionError: they left already, or ``date`` is before the current stage.
        """
        with self._changing():
            last = arguments.date(date, "date")
            why = arguments.text(reason, "reason")
            record = self._keep(
                leave_record(self._record, last, why, self._entry("leave", f"left on {last}"))
            )
        assert record.left is not None  # noqa: S101 - leave() sets it
        return record.left

    def transfer(self, to: str, left: dt.date, joined: dt.date) -> Employment:
        """The practitioner moved to another council (``ecf transfer``): service carries over.

        The employment at the current council closes on ``left``; one at ``to`` opens on
        ``joined``.  The days between stop the clock: due dates continue where they were.

        Args:
            to: The new council's code.
            left: The last day at the current council.
            joined: The first day at the new one (after ``left``).

        Returns:
            The new employment period.

        Raises:
            TransitionError: the record is closed, or the dates overlap the current period or
                go back in time.
        """
        with self._changing():
            code = arguments.text(to, "to")
            last = arguments.date(left, "left")
            first = arguments.date(joined, "joined")
            entry = self._entry("transfer", f"to {code}: left {last}, joined {first}")
            record = self._keep(
                _employment_ids(transfer_record(self._record, code, last, first, entry))
            )
        return record.employment[-1]

    def rejoin(self, council: str, date: dt.date) -> Employment:
        """A practitioner who left comes back (``ecf rejoin``): the record opens again.

        Args:
            council: The council they join.
            date: Their first day back (after the day they left).

        Returns:
            The new employment period.

        Raises:
            TransitionError: they had not left, or ``date`` is not after they left.
        """
        with self._changing(when_closed=True):
            code = arguments.text(council, "council")
            first = arguments.date(date, "date")
            entry = self._entry("rejoin", f"joined {code} on {first}")
            record = self._keep(_employment_ids(rejoin_record(self._record, code, first, entry)))
        return record.employment[-1]

    def correct(self, item_id: str, *, reason: str, **fields: object) -> object:
        """Correct fields of one item (``ecf correct``); allowed on a closed record.

        The old value stays in the history (its digest always; the value itself unless it is
        personal, see :mod:`ecf.items`), and the entry seals the new one: ``ecf verify`` stays
        intact.  A decision is corrected only by a new decision (:meth:`decide`,
        ``corrects``).

        Args:
            item_id: The item's stable id, as ``ecf timeline`` shows it (``ev-001``).
            reason: Why (kept in the history).
            **fields: The fields to correct, by the names of ``ecf correct``'s options:
                evidence ``date``, ``kind``, ``standards`` (the whole list), ``note``, ``by``;
                absences ``kind``, ``from_``, ``to``; working patterns ``from_``, ``fte``;
                reviews held ``date``; employment ``council``, ``from_``, ``to``.

        Returns:
            The item as corrected.

        Raises:
            RecordError: an unknown id, a field the item does not have, a bad value, a
                decision, a retracted item, no reason; or a record the change makes invalid.
        """
        with self._changing(when_closed=True):
            why = _reason(reason)
            record = correct_item(self._record, item_id, fields, self._entry("correct", why))
            self._keep(record)
        return self._item(record)

    def correct_registered(self, registered: dt.date, *, reason: str) -> dt.date:
        """Correct the Social Work England registration date (``ecf correct --registered``).

        Allowed on a closed record; the history keeps the old date and the reason.

        Raises:
            RecordError: a bad date, no reason, or a date the record's checks refuse.
        """
        with self._changing(when_closed=True):
            why = _reason(reason)
            new = arguments.date(registered, "registered")
            old = self._record.registered
            entry = self._entry("correct", f"registered: {old or '-'} -> {new}: {why}")
            self._keep(self._record.changed(entry, registered=new))
        return new

    def retract(self, item_id: str, *, reason: str) -> object:
        """Withdraw one item (``ecf retract``): kept, marked, it counts for nothing.

        Allowed on a closed record.  A retracted absence or working pattern no longer moves
        due dates; retracted evidence is never counted by an assessment.  A decision is never
        retracted (a new decision corrects it), nor an employment period (correct its dates).

        Args:
            item_id: The item's stable id, as ``ecf timeline`` shows it (``ev-001``).
            reason: Why (kept in the history).

        Returns:
            The item as retracted.

        Raises:
            RecordError: an unknown id, a decision or employment period, an item retracted
                already, no reason; or a record the change makes invalid.
        """
        with self._changing(when_closed=True):
            why = _reason(reason)
            record = retract_item(self._record, item_id, self._entry("retract", why))
            self._keep(record)
        return self._item(record)

    def anonymise(self, reason: str) -> Record:
        """Strip the personal data from the record, keep the career facts, record why.

        See :func:`ecf.privacy.anonymise` for what is stripped.  Leaving the block then writes
        the file afresh, without the comments people wrote (a comment may name the person).

        Args:
            reason: Why the personal data is removed (kept in the history: do not name the
                person).

        Returns:
            The anonymised record (with its new, random id).

        Raises:
            RecordError: no reason given.
        """
        from ecf.privacy import anonymise as anonymise_record  # noqa: PLC0415 - only here (issue 14)

        with self._changing(when_closed=True):
            if not isinstance(reason, str) or not reason.strip():
                raise arguments.refuse("say why the personal data is removed", "reason")
            record = self._record
            frameworks = [self._registry.get(e.framework) for e in record.enrolments]
            entry = self._entry("anonymise", f"personal data removed: {reason.strip()}")
            anonymised = self._keep(anonymise_record(record, entry, frameworks))
            self._fresh = True
        return anonymised

    # --- the machinery ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _changing(self, *, when_closed: bool = False) -> Iterator[None]:
        """Run one change; refused after the block, or on a closed record unless ``when_closed``."""
        if self._closed:
            raise EcfError(
                [
                    Problem(
                        "this edit is over (its block was left); open the record again with "
                        "ecf.edit",
                        file=str(self.path),
                    )
                ]
            )
        with naming(self.path):
            if not when_closed:
                refuse_if_closed(self._record)
            yield

    def _write(self) -> None:
        """Check the whole record and write it, if it changed (once, when the block is left)."""
        if self.changed:
            record = ensure_valid(self._record, self._registry, self._today, file=str(self.path))
            before = len(self._opened.record.history)
            record = sign(record, before, self._key)
            self._opened = store.save(self._opened, record, fresh=self._fresh)
            self._record = record
            # The record id and the actions only: a path or a detail may name the person.
            actions = ", ".join(e.action for e in record.history[before:])
            _log("%s: written (%s)", record.id, actions or "no history entry")
        else:
            _log("%s: unchanged, not written", self._record.id, debug=True)

    def _entry(self, action: str, detail: str, item: str | None = None) -> HistoryEntry:
        return HistoryEntry(stamp(self._clock), self._by, action, detail, item=item)

    def _computed(self, enrolment: Enrolment, milestone: str) -> dt.date | None:
        """The computed due date of a milestone of ``enrolment`` (None: unknown or undated)."""
        tl = timeline_for(self._record, enrolment, self._registry)
        return next((m.computed for m in tl.milestones if m.id == milestone), None)

    def _item(self, record: Record) -> object:
        """The item the latest history entry (a correction or retraction) changed."""
        ref = record.history[-1].ref or ""
        field, index, _ = find(record, ref)
        return getattr(record, field)[index]

    def _decision_index(self, corrects: object) -> int:
        """The index of the decision ``corrects`` names: ``dec-N``, or its 0-based index."""
        if isinstance(corrects, int) and not isinstance(corrects, bool) and corrects >= 0:
            return corrects
        if isinstance(corrects, str) and corrects.startswith("dec-"):
            field, index, _ = find(self._record, corrects)
            if field == "decisions":
                return index
        raise arguments.refuse(
            "expected a decision's id, as `ecf timeline` shows it (dec-1)",
            "corrects",
            arguments.shown(corrects),
        )

    def _current(self, record: Record | None = None) -> Enrolment:
        current = (record or self._record).current
        if current is None:  # a valid record has one
            raise arguments.refuse("the record has no stage yet", "enrolments")
        return current

    def _keep(self, record: Record) -> Record:
        """Keep a changed record, once it is valid."""
        self._record = ensure_valid(record, self._registry, self._today, file=str(self.path))
        return record


def _log(message: str, *args: object, debug: bool = False) -> None:
    """Log an info (or debug) message of the editor, if anything can print it.

    Nothing can while :mod:`logging` is not imported: no handler was set up (the CLI sets its
    own up when ``-v`` is given, importing it; without ``-v`` it prints warnings only), so
    importing it only to drop the message is skipped (issue 14: a change to one record).
    """
    if "logging" in sys.modules:
        logger = _logs.logger(__name__)
        (logger.debug if debug else logger.info)(message, *args)


@contextlib.contextmanager
def edit(
    path: str | os.PathLike[str],
    *,
    by: str,
    registry: FrameworkRegistry | None = None,
    today: dt.date | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> Iterator[Editor]:
    """Change a record file safely: a ``with`` block around an :class:`Editor`.

    On entry the record's lock is taken (a second writer waits for it, up to
    ``$ECF_LOCK_TIMEOUT`` seconds), the file is read, a file of an older schema is refused and
    the record as read is checked.  Leaving the block normally checks the whole record and
    writes it atomically, if anything changed; leaving it by an exception writes nothing.

    Args:
        path: The record file.
        by: Who makes the changes: every history entry records it.
        registry: The frameworks (default: :meth:`FrameworkRegistry.default`).
        today: The date the checks take as today (default: the local date).
        clock: Gives the time of each history entry, an aware date and time in UTC (default:
            :func:`utc_now`).

    Yields:
        The editor of the record.

    Raises:
        RecordError: the file is missing, malformed or invalid, of an older schema (``ecf
            migrate`` it first), a link, read-only or another user's
            (:func:`ecf.store.check_rewritable`), or the changed record is invalid; nothing is
            written.
        ConflictError: another process held the lock too long, or the file changed on disk
            since it was read (by a writer that did not take the lock); nothing is written.
    """
    file = arguments.file_name(path)
    with naming(file):
        author = arguments.by(by)
    frameworks = registry_or_default(registry)
    day = local_today() if today is None else today
    store.check_rewritable(file)  # before the lock: nothing is made beside a link
    with store.locked(file):
        opened = store.open_record(file)
        refuse_old_schema(opened.record, file)
        ensure_valid(opened.record, frameworks, day, file=str(file))
        editor = Editor(opened, by=author, registry=frameworks, today=day, clock=clock or utc_now)
        try:
            yield editor
            editor._write()  # noqa: SLF001 - edit() drives the editor it made
        finally:
            editor._closed = True  # noqa: SLF001 - same


def _ids(items: tuple[T, ...], field: str) -> tuple[T, ...]:
    """A list kept in date order with every id stored, before it changes (:mod:`ecf.items`)."""
    return with_ids(items, PREFIXES[field], id_attr(field))


def _employment_ids(record: Record) -> Record:
    """The record with every employment period's id stored (a new period gets the next).

    Storing the ids completes the change the last history entry records, so that entry's seal
    is made again for the record with them (:func:`ecf.records.content_seal`).
    """
    periods = _ids(record.employment, "employment")
    if periods == record.employment:
        return record
    stored = attrs.evolve(record, employment=periods)
    if not stored.history or stored.history[-1].state is None:
        return stored
    last = stored.history[-1]
    resealed = attrs.evolve(last, state=content_seal(stored, last))
    return attrs.evolve(stored, history=(*stored.history[:-1], resealed))


def write_planned(
    path: str | os.PathLike[str], record: Record, *, opened: RecordFile | None
) -> None:
    """Write a record worked out ahead of time (``ecf import``'s plan), as an edit writes it.

    Under the record's lock: a new file when ``opened`` is None (an existing file is never
    replaced), else over the file as the plan read it, refused if it changed since.  The plan
    checked the record already (:func:`ecf.validation.check_record`).

    Raises:
        ConflictError: the file exists already, or changed since the plan read it.
        RecordError: the write failed; nothing is changed.
    """
    file = arguments.file_name(path)
    with naming(file):
        since = 0 if opened is None else len(opened.record.history)
        record = sign(record, since, _current_key())
    with store.locked(file), naming(file):
        if opened is None:
            store.create(file, record)
        else:
            store.save(opened, record)


def _reason(reason: object) -> str:
    """The reason for a correction or retraction: a text that says something."""
    if not isinstance(reason, str) or not reason.strip():
        raise arguments.refuse("say why (--reason): it is kept in the history", "reason")
    return reason.strip()


def _priors(prior: object) -> tuple[PriorStage, ...]:
    """Prior stages given by a caller, checked for their type."""
    if isinstance(prior, str | bytes) or not isinstance(prior, Iterable):
        raise arguments.refuse("expected a list of ecf.PriorStage", "prior")
    items = tuple(prior)
    if not all(isinstance(p, PriorStage) for p in items):
        raise arguments.refuse("expected a list of ecf.PriorStage", "prior")
    return items


def create(
    path: str | os.PathLike[str],
    *,
    id: str,  # noqa: A002 - the record's field is called id
    name: str,
    qualified: dt.date,
    stage: str,
    start: dt.date,
    by: str,
    fte: Fraction | float | str | None = None,
    service: Service = "children",
    council: str | None = None,
    swe: str | None = None,
    registered: dt.date | None = None,
    began: dt.date | None = None,
    employed_from: dt.date | None = None,
    prior: Iterable[PriorStage] = (),
    registry: FrameworkRegistry | None = None,
    today: dt.date | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> Record:
    """Start a new record file in its first stage (``ecf new``); an existing file is kept.

    Args:
        path: The new file.
        id: The record's id (letters, digits, ``.``, ``_``, ``-``).
        name: The practitioner's name.
        qualified: The qualification date.
        stage: The first stage: ``asye``, ``ecdp`` (from 2027-09-01) or ``ecf-1``.
        start: The stage's first day.
        by: Who creates the record, for its first history entry.
        fte: The working pattern from the start (default: full time).
        service: ``children`` or ``adults``.
        council: The employer council's code.
        swe: The Social Work England registration number (``SW`` and digits).
        registered: The Social Work England registration date.
        began: The day the record begins in ecf, for an existing member of staff onboarded
            mid-stage: nothing due before it is overdue (default: the stage's start).
        employed_from: The first day employed at ``council`` (default: the stage's start).
        prior: Stages passed before the record began (an existing member of staff, recognised
            prior learning): a later first stage needs the stage it follows among them.  With
            prior stages and no ``began``, the record begins today (if the stage started
            earlier), so nothing from before it is overdue.
        registry: The frameworks; the stage starts under the version in force on ``start``
            (:meth:`FrameworkRegistry.for_start`; default: :meth:`FrameworkRegistry.default`).
        today: The date the checks take as today (default: the local date).
        clock: Gives the time of the history entry (default: :func:`utc_now`).

    Returns:
        The record written.

    Raises:
        ConflictError: the file exists already; it is not replaced.
        TransitionError: the stage is not a first stage, is closed to the service on ``start``
            (a child and family ``asye`` from 2027-09-01: the refusal names ``ecdp``), or starts
            before qualification.
        RecordError: a bad value; nothing is written.
    """
    file = arguments.file_name(path)
    if file.exists() or file.is_symlink():
        raise ConflictError([Problem("already exists; not replaced", file=str(file))])
    frameworks = registry_or_default(registry)
    day = local_today() if today is None else today
    with naming(file):
        if service not in SERVICES:
            raise arguments.refuse(
                f"expected one of {', '.join(SERVICES)}", "service", arguments.shown(service)
            )
        first = arguments.date(start, "start")
        record = new_record(
            id=arguments.text(id, "id"),
            name=arguments.text(name, "name"),
            qualified=arguments.date(qualified, "qualified"),
            service=service,
            stage=arguments.text(stage, "stage"),
            start=first,
            registry=frameworks,
            entry=HistoryEntry(
                stamp(clock or utc_now), arguments.by(by), "new", f"started {stage} on {first}"
            ),
            fte=None if fte is None else arguments.fte(fte),
            council=arguments.optional_text(council, "council"),
            swe=arguments.optional_text(swe, "swe"),
            registered=arguments.optional_date(registered, "registered"),
            began=arguments.optional_date(began, "began"),
            employed_from=arguments.optional_date(employed_from, "employed_from"),
            prior=_priors(prior),
        )
        record = _employment_ids(record)
        ensure_valid(record, frameworks, day, file=str(file))
        record = sign(record, 0, _current_key())
    with store.locked(file):
        store.create(file, record)
    return record
