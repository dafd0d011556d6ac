"""The practitioner record: frozen values, and pure functions that return a changed copy.

A record is one practitioner's early career: their qualification, the stages they were enrolled
in (each pinned to the framework version it started under), their working pattern, absences,
evidence, the milestones they held, the decisions people made, and an append-only history of
every change.  Values are frozen; a change is a new record with one more history entry.

This module is long because the record file's whole model is here, one frozen class per kind
of entry, so that the file format reads in one place.

The field names here are the keys of a record file (``hours`` holds the working-pattern
changes, ``from`` is spelled ``from_`` in Python).

This module is long because the record file's whole model is one place to read: each class
documents the keys a person writes.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import re
import sys
import typing
from fractions import Fraction
from typing import Any, Literal

import attrs

from ecf._convert import _MISS, c_decode, c_encode, c_structure, structure, unstructure
from ecf._hashing import sha256_hex
from ecf.errors import RecordError
from ecf.framework import Service  # noqa: TC001 - cattrs reads the annotation at run time

__all__ = [
    "APPEAL_OUTCOMES",
    "OUTCOMES",
    "ROLES",
    "SCHEMA_VERSION",
    "Absence",
    "AgreedDate",
    "Appeal",
    "AppealOutcome",
    "Assignment",
    "Attachment",
    "Decision",
    "Employment",
    "Enrolment",
    "Evidence",
    "HeldMilestone",
    "HistoryEntry",
    "Leaving",
    "Outcome",
    "PatternChange",
    "PriorStage",
    "Record",
    "Role",
    "c_record",
    "canonical",
    "content_seal",
    "decision_by_ref",
    "decision_ref",
    "digest",
    "record_from_dict",
    "record_from_msgpack",
    "record_to_dict",
    "record_to_msgpack",
]

#: The schema version this library writes.  Every older version is read as it is (its fields
#: are a subset), and ``ecf migrate`` (:mod:`ecf.migration`) upgrades a file to this one:
#: 2 chained the history; 3 added prior stages, employment periods, the registration date and
#: the date the record began.
SCHEMA_VERSION = 3

#: The outcomes a record file may hold.  What each means (whether it closes the stage, lets the
#: next begin, ends the path, needs an end date, needs a reason) is the framework's data
#: (:class:`ecf.framework.OutcomeDef`), asked through the predicates of :mod:`ecf.progression`.
Outcome = Literal["pass", "progressed", "fail", "extended", "deferred", "withdrawn"]
OUTCOMES: tuple[Outcome, ...] = typing.get_args(Outcome)
AppealOutcome = Literal["upheld", "dismissed"]
APPEAL_OUTCOMES: tuple[AppealOutcome, ...] = typing.get_args(AppealOutcome)

SWE_NUMBER = re.compile(r"SW\d+")
RECORD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SHA256 = re.compile(r"[0-9a-f]{64}")


@attrs.frozen
class Enrolment:
    """One stage of the path, from its start; ended only by a recorded decision.

    Attributes:
        stage: The stage id (``asye``).
        start: The first day of the stage.
        framework: The framework version the stage started under; its rules stay pinned.
    """

    stage: str
    start: dt.date
    framework: str


@attrs.frozen
class PatternChange:
    """A working-pattern change: from this day on (inclusive), the practitioner works ``fte``.

    Attributes:
        from_: The first day of the new pattern (``from`` in a record file).
        fte: Full-time equivalent as an exact fraction in (0, 1]; ``3/5`` is three days a week.
        id: Its stable id (``hr-2``); older records have none (:mod:`ecf.items` derives it).
        retracted: When it was retracted (``ecf retract``): it then counts for nothing.
    """

    from_: dt.date
    fte: Fraction
    id: str | None = None
    retracted: dt.datetime | None = None


@attrs.frozen
class Absence:
    """An absence from first to last day, both inclusive.

    Attributes:
        id: Its stable id (``ab-1``); older records have none (:mod:`ecf.items` derives it).
        retracted: When it was retracted (``ecf retract``): it then counts for nothing.
    """

    kind: str
    first: dt.date
    last: dt.date
    id: str | None = None
    retracted: dt.datetime | None = None

    @property
    def days(self) -> int:
        """Its length in calendar days."""
        return (self.last - self.first).days + 1


@attrs.frozen
class Attachment:
    """A reference to a file (relative to the record's folder) or a URL, with its sha256."""

    ref: str
    sha256: str


@attrs.frozen
class Evidence:
    """One piece of evidence.

    Attributes:
        id: Unique within the record (``ev-001``).
        kind: An evidence kind of the framework (``direct-observation``).
        date: When it happened or was written.
        standards: The standards it evidences (``kss-cf:6``, ``pcf:7``).
        by: Who wrote or observed it.
        retracted: When it was retracted (``ecf retract``): it then counts for nothing.
    """

    id: str
    kind: str
    date: dt.date
    standards: tuple[str, ...] = ()
    by: str | None = None
    attachment: Attachment | None = None
    note: str | None = None
    retracted: dt.datetime | None = None


@attrs.frozen
class HeldMilestone:
    """A review point that took place.

    Attributes:
        id: The milestone's id in the framework (``review-3m``).
        ref: Its stable id as an item of the record (``rv-1``): ``id`` names the milestone, so
            the item's own id has another name.  Older records have none (derived).
        retracted: When it was retracted (``ecf retract``): it then counts for nothing.
    """

    stage: str
    id: str
    date: dt.date
    ref: str | None = None
    retracted: dt.datetime | None = None


@attrs.frozen
class Decision:
    """A decision made by people: recorded as such, with who and when, never overwritten.

    A decision recorded in error is corrected only by a new one that names it (``corrects``,
    its index in the record's decisions); both stay in the record.

    Attributes:
        until: The new end date, for ``extended`` (and optionally ``deferred``).
        corrects: The index of the earlier decision on the same stage this one replaces
            (``dec-N`` is index ``N - 1``).
        id: Its stable id (``dec-1`` for the first): its place in the decisions, which are
            never removed nor reordered; older decisions have none (derived the same way).
        reason: A reason code of the framework's list (``standards-not-met``); a decision made
            with an outcome that requires one (``fail``, ``extended``...) gives it.
    """

    stage: str
    outcome: Outcome
    date: dt.date
    by: str
    panel: str | None = None
    until: dt.date | None = None
    corrects: int | None = None
    id: str | None = None
    reason: str | None = None


@attrs.frozen
class Appeal:
    """An appeal against a decision: lodged, then upheld or dismissed.

    Attributes:
        decision: The decision appealed, as ``dec-N`` (its 1-based place in the decisions).
        lodged: The day the appeal was lodged.
        outcome: ``upheld`` or ``dismissed``; ``None`` while the appeal is open.
        date: The day of the appeal's outcome.
        by: Who decided the appeal.
    """

    decision: str
    lodged: dt.date
    outcome: AppealOutcome | None = None
    date: dt.date | None = None
    by: str | None = None


@attrs.frozen
class HistoryEntry:
    """One change to the record: what, when, by whom; chained to the entry before it.

    Attributes:
        item: The digest of what the change added, where it must never change afterwards
            (a decision): ``ecf verify`` checks the record still holds it.
        prev: The digest of the entry before (none for the first): editing or removing an
            earlier entry breaks the chain, and ``ecf verify`` says where.
        ref: The stable id of the item a ``correct`` or ``retract`` entry changed (``ev-001``).
        replaces: The digest of that item before the change: from then on the record holds
            it as ``item`` records (:mod:`ecf.history`).
        state: The seal of the whole record after this change (:func:`content_seal`): every
            field but the history, and this entry's own what, when and who; ``ecf verify``
            checks that the record still holds it.  Entries written before the seal (chain
            version 2) have none.
        hand_edited: Set when the record this change found did not hold the seal of the entry
            before (it was changed by hand): that entry's seal of the content as found, so a
            later change never hides a hand edit (``ecf verify`` reports it for ever).
        key: The fingerprint of the Ed25519 key that signed this entry (:mod:`ecf.signing`).
        sig: The signature of this entry (all of it but ``sig``), base64.
    """

    at: dt.datetime
    by: str
    action: str
    detail: str = ""
    item: str | None = None
    prev: str | None = None
    ref: str | None = None
    replaces: str | None = None
    state: str | None = None
    hand_edited: str | None = None
    key: str | None = None
    sig: str | None = None


@attrs.frozen
class PriorStage:
    """A stage passed before the record began (existing staff, or recognised prior learning).

    It satisfies the ``follows`` of the stages after it, has no milestones, needs no evidence
    and is never assessed.

    Attributes:
        stage: The stage id (``asye``).
        passed: The date it was passed.
        note: Where, and which certificate (free text).
    """

    stage: str
    passed: dt.date
    note: str | None = None


@attrs.frozen
class Employment:
    """A period of employment at one council: service accrues only while employed.

    Between two periods (a transfer) the clock stops and the days served carry over; after the
    last one closes (the practitioner left) nothing accrues.

    Attributes:
        from_: The first day employed (``from`` in a record file).
        council: The employer council's code.
        to: The last day employed; ``None`` while the period is open.
        id: Its stable id (``em-1``); older records have none (:mod:`ecf.items` derives it).
    """

    from_: dt.date
    council: str | None = None
    to: dt.date | None = None
    id: str | None = None


@attrs.frozen
class Leaving:
    """The practitioner left the employer: the path stops here.

    Attributes:
        date: The last day of employment.
        reason: Why, in the council's words (``resigned``, ``moved council``, ``retired``...).
    """

    date: dt.date
    reason: str


@attrs.frozen
class AgreedDate:
    """A due date agreed by people (at the agreement meeting): it replaces the computed one.

    A pausing absence that starts before it still moves it by the paused days
    (:func:`ecf.timeline.agreed_due`).

    Attributes:
        stage: The stage id (``asye``): a stage the record is enrolled in.
        milestone: The milestone id (``review-3m``).
        due: The date agreed, on or after the stage's start.
        note: Why, or who agreed it (free text).
    """

    stage: str
    milestone: str
    due: dt.date
    note: str | None = None


Role = Literal["assessor", "supervisor", "coordinator"]
ROLES: tuple[Role, ...] = typing.get_args(Role)


@attrs.frozen
class Assignment:
    """A person in a role around the practitioner, from a day on.

    A new assignment of a role ends the one before it the day before (``to``).

    Attributes:
        role: ``assessor``, ``supervisor`` or ``coordinator``.
        name: The colleague's name.
        from_: The first day in the role (``from`` in a record file).
        to: The last day in the role; ``None`` while it lasts.
        id: Its stable id (``as-1``): its place in the assignments, which are only appended.
    """

    role: Role
    name: str
    from_: dt.date
    to: dt.date | None = None
    id: str | None = None


@attrs.frozen
class Record:
    """One practitioner's early career.

    Attributes:
        schema_version: The record file format version.
        id: The record's id; errors and logs name a record by it, never by the person's name.
        swe: Social Work England registration number (``SW`` and digits).
        council: The employer council's code: the current employer's, when ``employment``
            holds periods.
        registered: The Social Work England registration date.
        began: The day the record began in ecf (an existing member of staff is onboarded
            mid-stage): nothing due before it is ever overdue, and no finding whose deadline
            came before it counts.  ``None``: the first stage's start.
        prior: Stages passed before the record began, oldest first.
        employment: Periods of employment, oldest first; none (a record of schema 1 or 2):
            employed from the first stage's start until leaving.
        hours: Working-pattern changes; before the first, the practitioner works full time.
        agreed: Due dates agreed by people, one per milestone at most: each replaces the
            computed one.
        assignments: The assessor, supervisor and coordinator, each role's oldest first.
        appeals: Appeals against decisions (:class:`Appeal`), in the order lodged.
        left: Set when the practitioner left employment: no stage or decision may follow
            (evidence written before leaving may still be filed).
        extra: A council's own fields, kept as they are.
    """

    schema_version: int
    id: str
    name: str
    qualified: dt.date
    service: Service
    swe: str | None = None
    council: str | None = None
    registered: dt.date | None = None
    began: dt.date | None = None
    prior: tuple[PriorStage, ...] = ()
    enrolments: tuple[Enrolment, ...] = ()
    employment: tuple[Employment, ...] = ()
    hours: tuple[PatternChange, ...] = ()
    absences: tuple[Absence, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    milestones: tuple[HeldMilestone, ...] = ()
    agreed: tuple[AgreedDate, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    decisions: tuple[Decision, ...] = ()
    appeals: tuple[Appeal, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    left: Leaving | None = None
    extra: dict[str, Any] = attrs.field(factory=dict, hash=False)

    @property
    def began_on(self) -> dt.date | None:
        """The day the record began: ``began``, else the first stage's start (None: no stage)."""
        if self.began is not None:
            return self.began
        return self.enrolments[0].start if self.enrolments else None

    def periods(self) -> tuple[Employment, ...]:
        """The employment periods; a record without any was employed from its first stage on.

        That implied period runs at the record's ``council`` from the first stage's start to the
        day the practitioner left (open while they have not).
        """
        if self.employment or not self.enrolments:
            return self.employment
        last = self.left.date if self.left is not None else None
        return (Employment(self.enrolments[0].start, self.council, last),)

    def gaps(self) -> tuple[tuple[dt.date, dt.date], ...]:
        """The spells between employment periods (first and last day, inclusive)."""
        one = dt.timedelta(days=1)
        periods = self.periods()
        return tuple(
            (a.to + one, b.from_ - one)
            for a, b in itertools.pairwise(periods)
            if a.to is not None and b.from_ - a.to > one
        )

    @property
    def current(self) -> Enrolment | None:
        """The latest enrolment."""
        return self.enrolments[-1] if self.enrolments else None

    def enrolment(self, stage: str) -> Enrolment | None:
        """The enrolment in this stage, or None."""
        return next((e for e in self.enrolments if e.stage == stage), None)

    def decisions_for(self, stage: str) -> tuple[Decision, ...]:
        """The decisions in force on a stage, oldest first (those corrected later left out)."""
        if not self.decisions:
            return ()
        return self._in_force.get(stage, ())

    # Worked out once per record (it is frozen): validation, the timeline, the state and the
    # appeal window each ask for a stage's decisions.  Not a field: neither the record's
    # equality, its hash nor any form of it written sees it.
    @functools.cached_property
    def _in_force(self) -> dict[str, tuple[Decision, ...]]:
        """:meth:`decisions_for` of every stage with a decision in force."""
        corrected = {d.corrects for d in self.decisions if d.corrects is not None}
        found: dict[str, list[Decision]] = {}
        for i, d in enumerate(self.decisions):
            if i not in corrected:
                found.setdefault(d.stage, []).append(d)
        return {stage: tuple(ds) for stage, ds in found.items()}

    def decision(self, stage: str) -> Decision | None:
        """The latest decision on a stage, or None."""
        decisions = self.decisions_for(stage)
        return decisions[-1] if decisions else None

    def held(self, stage: str) -> dict[str, dt.date]:
        """The milestones held in a stage: id to date."""
        return {m.id: m.date for m in self.milestones if m.stage == stage}

    def next_evidence_id(self) -> str:
        """A new evidence id, one past the highest ``ev-NNN`` in the record."""
        numbers = [int(e.id[3:]) for e in self.evidence if re.fullmatch(r"ev-\d+", e.id)]
        return f"ev-{max(numbers, default=0) + 1:03d}"

    def fte_on(self, day: dt.date) -> Fraction:
        """The working pattern in force on ``day`` (1 before the first change)."""
        fte = Fraction(1)
        for change in self.hours:
            if change.from_ <= day:
                fte = change.fte
        return fte

    def changed(self, entry: HistoryEntry, **fields: Any) -> Record:
        """A copy with ``fields`` replaced and ``entry`` appended to the history, chained.

        The entry seals the whole record as it is after the change (``state``,
        :func:`content_seal`).  When this record no longer holds the seal of its last entry
        (it was changed by hand since), the entry says so (``hand_edited``), so that the new
        seal never makes a hand edit look as if it had been made through ecf.
        """
        last = self.history[-1] if self.history else None
        found = None
        if last is not None and last.state is not None and content_seal(self, last) != last.state:
            found = content_seal(self, last)
        new = attrs.evolve(self, **fields)
        sealed = attrs.evolve(
            entry,
            prev=digest(last) if last is not None else None,
            hand_edited=entry.hand_edited or found,
            state=None,
            key=None,
            sig=None,
        )
        sealed = attrs.evolve(sealed, state=content_seal(new, sealed))
        return attrs.evolve(new, history=(*self.history, sealed))


_DECISION_REF = re.compile(r"dec-([1-9][0-9]{0,5})")


def decision_ref(index: int) -> str:
    """The reference of ``record.decisions[index]``: ``dec-N``, N its 1-based place."""
    return f"dec-{index + 1}"


def decision_by_ref(record: Record, ref: str) -> tuple[int, Decision] | None:
    """The decision ``ref`` names (``dec-2``: the second decision recorded) and its index.

    The one place a decision reference is read, so that it can turn into a stored id later.
    ``None`` when ``ref`` is not of that form or names no decision of the record.
    """
    found = _DECISION_REF.fullmatch(ref.strip()) if isinstance(ref, str) else None
    if found is None:
        return None
    index = int(found.group(1)) - 1
    return (index, record.decisions[index]) if index < len(record.decisions) else None


def digest(value: object) -> str:
    """A short, stable digest of a value (``sha256:`` and 32 hex digits), for the history chain.

    The value is unstructured to plain data and written as canonical JSON (sorted keys, dates
    in ISO 8601), so the digest depends on the content only, never on how a file spells it.
    """
    text = json.dumps(unstructure(value), sort_keys=True, default=_iso, separators=(",", ":"))
    return "sha256:" + sha256_hex(text.encode("utf-8"))[:32]


def content_seal(record: Record, entry: HistoryEntry) -> str:
    """The seal a history entry holds (``state``): the record's whole content, and the entry.

    Everything the record holds but its history (identity, enrolments, prior stages,
    employment, hours, absences, evidence, milestones, agreed dates, assignments, decisions,
    appeals, the date left, ``extra``, the schema version), and the entry's own fields but
    ``state``, ``prev``, ``key`` and ``sig``, written as canonical JSON (as :func:`digest`
    does), hashed with sha256 in full: ``sha256:`` and 64 hex digits.
    """
    # Left out: the seal itself, the link to the entry before (set again when entries are
    # signed) and the signature's fields.
    own = attrs.evolve(entry, state=None, prev=None, key=None, sig=None)
    content = attrs.evolve(record, history=())
    return "sha256:" + sha256_hex(canonical({"entry": own, "record": content}))


def canonical(value: object) -> bytes:
    """A value as canonical JSON bytes (sorted keys, dates in ISO 8601): what digests hash."""
    if isinstance(value, dict):
        value = {k: unstructure(v) for k, v in value.items()}
    else:
        value = unstructure(value)
    text = json.dumps(value, sort_keys=True, default=_iso, separators=(",", ":"))
    return text.encode("utf-8")


def _iso(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def record_from_dict(data: dict[str, Any], *, file: str | None = None) -> Record:
    """Structure a parsed record file (or a row from an HR database) into a :class:`Record`.

    This checks shape and types only; :func:`ecf.validation.check_record` checks the meaning.

    Raises:
        RecordError: one problem per bad field, with its path and value.
    """
    native = next(_STRUCTURED) >= _NATIVE_FROM or "msgspec" in sys.modules
    return structure(data, Record, error=RecordError, file=file, native=native)


def c_record(data: object, *, deferred: frozenset[str] = frozenset()) -> Record | None:
    """The record ``data`` holds, by msgspec's C path only, or None when that path declines it.

    None: the caller reads ``data`` with :func:`record_from_dict`, which says what is wrong.
    ``deferred``: the fields whose dates are not checked to be in range: the caller holds them
    between dates that are (:func:`ecf._convert.c_structure`).
    """
    value = c_structure(data, Record, deferred=deferred)
    return None if value is _MISS else typing.cast("Record", value)


#: Records structured in this process so far (:func:`record_from_dict`).
_STRUCTURED = itertools.count()
#: From which record on they take msgspec's C path (:func:`ecf._convert.c_structure`), unless
#: msgspec is imported already (the cache's): its import and the classes' mirrors cost about
#: 25 ms once, which the C path wins back over about 150 records, so a command that reads a
#: few records (``ecf status``) never pays it.
_NATIVE_FROM = 64


def record_from_msgpack(data: bytes) -> Record | None:
    """The record in MessagePack ``data`` (:func:`record_to_dict`'s fields), or None.

    Read straight into the record by msgspec (:func:`ecf._convert.c_decode`), else decoded to
    plain data and structured by :func:`record_from_dict`: the same checks either way.  None:
    not a record.
    """
    import msgspec  # noqa: PLC0415 - only the cache needs it

    record = c_decode(data, Record)
    if record is not None:
        return record
    try:
        plain = msgspec.msgpack.decode(data)
        if not isinstance(plain, dict):
            return None
        return record_from_dict(plain)
    except (msgspec.DecodeError, RecordError, RecursionError, ValueError, TypeError):
        return None


def record_to_msgpack(record: Record) -> bytes:
    """A record as MessagePack: :func:`record_to_dict`'s fields, what the cache stores.

    Written by msgspec from the record (:func:`ecf._convert.c_encode`): the data that encoding
    :func:`record_to_dict` gives (a table's header may be wider), else by encoding that.
    """
    data = c_encode(record)
    if data is not None:
        return data
    import msgspec  # noqa: PLC0415 - only the cache needs it

    return msgspec.msgpack.encode(record_to_dict(record), enc_hook=str)


def record_to_dict(record: Record) -> dict[str, Any]:
    """Unstructure a record into plain data ready for TOML (None fields left out)."""
    data: dict[str, Any] = unstructure(record)
    if not data.get("extra"):
        data.pop("extra", None)
    return data
