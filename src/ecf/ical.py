r"""Upcoming milestones as an iCalendar file (RFC 5545) that a calendar app can subscribe to.

One all-day event per milestone that is due, not yet held, in a stage that is still open.  An
event names the record by its id (or its pseudonym), never by the person's name, and its UID is
stable (``{record id}-{stage}-{milestone}@ecf``), so re-importing an updated file moves an event
instead of adding a second one.

The text is written here rather than with an iCalendar library: a calendar of all-day events
needs four rules of RFC 5545 (CRLF line ends, lines folded at 75 octets without splitting a
UTF-8 character, ``\``, ``;``, ``,`` and newlines escaped in text, a ``DTSTAMP`` per event), and
the tests parse the output back with the ``icalendar`` package to hold us to them.

Example::

    import datetime as dt
    from ecf import cohort, ical
    from ecf.framework import FrameworkRegistry

    registry = FrameworkRegistry.default()
    loaded = cohort.load_folder("records/", registry)
    due = [e for r in loaded.records for e in ical.upcoming(r, registry, dt.date(2026, 12, 1))]
    text = ical.calendar(due, stamp=dt.datetime.now(dt.UTC))
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from ecf.progression import stage_state, timeline_for
from ecf.status import CLOSED

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ecf.cohort import ScanContext
    from ecf.council import CouncilSettings
    from ecf.framework import FrameworkRegistry
    from ecf.records import Record

__all__ = [
    "PRODID",
    "DueMilestone",
    "calendar",
    "calendar_item",
    "escape_text",
    "fold",
    "upcoming",
]

#: The product identifier written in every calendar.
PRODID = "-//ecf//early career milestones//EN"
#: The longest line RFC 5545 allows, in octets, without the CRLF.
MAX_OCTETS = 75
CRLF = "\r\n"


@attrs.frozen
class DueMilestone:
    """A milestone due on a date: one calendar event.

    Attributes:
        record_id: The record's id, or its pseudonym; never the person's name.
        stage: The stage id (``asye``).
        stage_title: What people call the stage.
        milestone: The milestone id (``review-3m``).
        title: What people call the milestone.
        due: The day it is due.
        optional: An optional review.
    """

    record_id: str
    stage: str
    stage_title: str
    milestone: str
    title: str
    due: dt.date
    optional: bool = False

    @property
    def uid(self) -> str:
        """The event's stable unique id."""
        return f"{self.record_id}-{self.stage}-{self.milestone}@ecf"

    @property
    def summary(self) -> str:
        """The event's one-line title: the record id and the milestone."""
        optional = " (optional)" if self.optional else ""
        return f"{self.record_id}: {self.title}{optional}"

    @property
    def description(self) -> str:
        """The event's longer text: the stage and the due date."""
        return (
            f"Record: {self.record_id}\n"
            f"Stage: {self.stage_title} ({self.stage})\n"
            f"Milestone: {self.title} ({self.milestone})\n"
            f"Due: {self.due.isoformat()}"
        )


def upcoming(
    record: Record,
    registry: FrameworkRegistry,
    as_of: dt.date,
    days: int = 365,
    *,
    settings: CouncilSettings | None = None,
) -> tuple[DueMilestone, ...]:
    """The milestones of a record due from ``as_of`` to ``days`` days after it, in date order.

    A milestone counts when it is not held as of ``as_of``, has a due date, and its stage is
    still open then (not passed, failed, withdrawn or left).  A held milestone, a milestone with
    no due date of its own (moderation) and one already overdue are left out.  Due dates count
    under a council's ``settings`` when given.

    Raises:
        FrameworkError: when an enrolment pins an unknown framework version.
    """
    last = as_of + dt.timedelta(days=days)
    out: list[DueMilestone] = []
    for enrolment in record.enrolments:
        tl = timeline_for(record, enrolment, registry, as_of, settings=settings)
        if stage_state(record, tl, as_of, registry.get(enrolment.framework)) in CLOSED:
            continue
        for ms in tl.milestones:
            held = ms.held is not None and ms.held <= as_of
            if held or ms.due is None or not as_of <= ms.due <= last:
                continue
            out.append(
                DueMilestone(record.id, tl.stage, tl.title, ms.id, ms.title, ms.due, ms.optional)
            )
    return tuple(sorted(out, key=lambda m: (m.due, m.stage, m.milestone)))


def calendar_item(
    record: Record,
    context: ScanContext,
    *,
    days: int = 365,
    settings: CouncilSettings | None = None,
    assessor: str | None = None,
) -> tuple[DueMilestone, ...] | None:
    """A record's :func:`upcoming` milestones in a scan (:func:`ecf.cohort.scan_records`).

    Use it as ``functools.partial(calendar_item, days=..., ...)``: picklable, so every worker
    can run it.

    Args:
        record: The record.
        context: The scan's context: its frameworks and as-of date.
        days: How many days after the as-of date to include.
        settings: A council's settings, for the due dates.
        assessor: Only a record this person assesses on the as-of date (the same name,
            ignoring case and outer spaces).

    Returns:
        The milestones, or ``None`` for a record another person assesses (not in the calendar).
    """
    if assessor is not None:
        from ecf.agreements import assessor_on, same_name  # noqa: PLC0415 - only with --assessor

        if not same_name(assessor_on(record, context.as_of), assessor):
            return None
    return upcoming(record, context.registry, context.as_of, days, settings=settings)


def escape_text(value: str) -> str:
    r"""A TEXT value as RFC 5545 writes it: ``\``, ``;`` and ``,`` escaped, newlines as ``\n``."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line folded at 75 octets, never inside a UTF-8 character, CRLF-terminated.

    Each continuation line starts with a space, which counts in its 75 octets.  An ASCII line
    (nearly every line: one octet a character) is cut by slicing; any other is measured
    character by character (:func:`_fold_measured`, which a test holds this equal to).
    """
    if line.isascii():
        if len(line) <= MAX_OCTETS:
            return line + CRLF
        rest = MAX_OCTETS - 1  # a continuation line's octets after its leading space
        parts = [line[:MAX_OCTETS]]
        parts.extend(" " + line[i : i + rest] for i in range(MAX_OCTETS, len(line), rest))
        return CRLF.join(parts) + CRLF
    return _fold_measured(line)


def _fold_measured(line: str) -> str:
    """:func:`fold`, the octets of each character counted (any line, ASCII or not)."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > MAX_OCTETS:
            parts.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return CRLF.join(parts) + CRLF


def _date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _event(item: DueMilestone, stamp: str) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{escape_text(item.uid)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{_date(item.due)}",
        f"DTEND;VALUE=DATE:{_date(item.due + dt.timedelta(days=1))}",
        f"SUMMARY:{escape_text(item.summary)}",
        f"DESCRIPTION:{escape_text(item.description)}",
        f"CATEGORIES:{escape_text(item.stage)}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def calendar(items: Iterable[DueMilestone], *, stamp: dt.datetime, name: str = "ecf") -> str:
    """An iCalendar file (``VCALENDAR``) with one all-day ``VEVENT`` per milestone.

    Args:
        items: The milestones, as :func:`upcoming` gives them.
        stamp: When the calendar was made (each event's ``DTSTAMP``); converted to UTC.
        name: The calendar's display name (``X-WR-CALNAME``).

    Returns:
        The text, with CRLF line ends and long lines folded; encode it as UTF-8.

    Raises:
        ValueError: when ``stamp`` has no time zone.
    """
    if stamp.tzinfo is None:
        raise ValueError("the calendar's stamp needs a time zone")
    utc = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for item in items:
        lines.extend(_event(item, utc))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)
