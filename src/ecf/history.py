"""The tamper-evident history: verification, and the upgrade of records written before it.

Since schema 2, every history entry carries the digest of the entry before it (``prev``), and
the entry that records a decision carries the decision's digest (``item``); so do the entries
that add evidence or a held milestone.  :func:`verify` recomputes both:

* an entry edited or removed by hand breaks the chain at the entry after it;
* a decision edited or removed by hand no longer matches the digest its entry recorded;
* a decision added by hand has no entry at all.

Corrections and retractions (``ecf correct``, ``ecf retract``; :mod:`ecf.items`) change an
item on purpose, so they are sealed like any change: their entry names the item (``ref``),
holds its digest before (``replaces``) and after (``item``).  An item's recorded digest is
superseded by a *later* entry that replaces it; :func:`verify` then asks the record to hold the
newest value instead.  So:

* a corrected or retracted item stays intact under ``ecf verify``;
* a hand edit of a corrected item (or one that undoes a correction, or removes a
  retraction) matches no digest still in force, and is reported at the entry that sealed it;
* the old value is not lost: its digest stays in the chain (``replaces``), and the entry's
  detail holds it unless it is personal (:mod:`ecf.items`).

What the file alone cannot show: the *last* entries removed together with what they added (a
chain has nothing after its end to break).  Keep record files in version control, or sign
them, if that matters (``SECURITY.md``).

Records of every older schema load forever; :func:`upgrade` (``ecf migrate``) brings one to the
current schema: a schema-1 record's history is chained and the decisions it already holds are
sealed in one ``migrate`` entry; a schema-2 record gains only that entry (schema 3 added fields,
all optional).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ecf.errors import Problem
from ecf.items import KINDS, items_of
from ecf.records import SCHEMA_VERSION, HistoryEntry, Record, digest

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["seal", "upgrade", "verify"]

#: The first schema whose history is chained (tamper-evident).
CHAINED = 2
#: Actions whose entry's ``item`` is the digest of a decision.
DECISION_ACTIONS = frozenset({"decide"})
#: Actions whose entry's ``item`` is the digest of an evidence item or a held milestone.
#: (An appeal's outcome too: once decided, an appeal never changes.)
ITEM_ACTIONS = {
    "add-evidence": "evidence",
    "add-review": "milestones",
    "appeal-outcome": "appeals",
}
#: Actions that replace an item on purpose: ``item`` is its new digest, ``replaces`` the old.
CHANGE_ACTIONS = frozenset({"correct", "retract"})


def seal(decisions: Sequence[object]) -> str:
    """The digest that seals a list of decisions as they stand (used by ``migrate``)."""
    return digest([digest(d) for d in decisions])


def upgrade(record: Record, entry: HistoryEntry) -> Record:
    """A record of an older schema at the current one, with one ``migrate`` entry (``entry``).

    From schema 1 the history is chained and the decisions it holds are sealed by ``entry``;
    from schema 2 nothing else changes (schema 3's new fields are all optional).

    Args:
        record: A record of an older schema.
        entry: Who migrates it and when (its action should be ``migrate``).

    Returns:
        The same record at :data:`~ecf.records.SCHEMA_VERSION`, one history entry longer.
    """
    if record.schema_version >= SCHEMA_VERSION:
        return record
    if record.schema_version >= CHAINED:
        base = attrs.evolve(record, schema_version=SCHEMA_VERSION)
        return base.changed(
            attrs.evolve(
                entry, detail=entry.detail or f"schema {record.schema_version} to {SCHEMA_VERSION}"
            )
        )
    chained: list[HistoryEntry] = []
    for old in record.history:
        chained.append(attrs.evolve(old, prev=digest(chained[-1]) if chained else None))
    sealed = attrs.evolve(
        entry,
        detail=entry.detail
        or f"schema {record.schema_version} to {SCHEMA_VERSION}; "
        f"{len(record.decisions)} decisions sealed",
        item=seal(record.decisions),
    )
    base = attrs.evolve(record, schema_version=SCHEMA_VERSION, history=tuple(chained))
    return base.changed(sealed)


def verify(record: Record) -> list[Problem]:
    """Every sign that the record's history or decisions were changed by hand.

    Returns:
        One problem per broken link, unmatched decision or missing item; empty when intact.
    """
    if record.schema_version < CHAINED:
        return [
            Problem(
                f"schema {record.schema_version} keeps no tamper-evident history; "
                "run `ecf migrate` on it",
                "schema_version",
                record.schema_version,
            )
        ]
    out: list[Problem] = []
    history = record.history
    for i, entry in enumerate(history):
        expected = digest(history[i - 1]) if i else None
        if entry.prev != expected:
            where = "the first entry" if i == 0 else f"history[{i - 1}]"
            out.append(
                Problem(
                    f"the chain breaks here: {where} was edited, or an entry before this one "
                    "was removed",
                    f"history[{i}].prev",
                    entry.prev,
                )
            )
    decision_digests = [digest(d) for d in record.decisions]
    recorded = {e.item for e in history if e.action in DECISION_ACTIONS and e.item}
    sealed_upto = 0
    for entry in history:
        if entry.action == "migrate" and entry.item:
            for k in range(len(record.decisions), -1, -1):
                if seal(record.decisions[:k]) == entry.item:
                    sealed_upto = max(sealed_upto, k)
                    break
            else:
                out.append(
                    Problem("the decisions this migration sealed were changed", "history", entry.at)
                )
    for i, d in enumerate(decision_digests):
        if i >= sealed_upto and d not in recorded:
            out.append(
                Problem(
                    "this decision is not the one the history recorded: edited or added by hand",
                    f"decisions[{i}]",
                    f"{record.decisions[i].stage} {record.decisions[i].outcome}",
                )
            )
    held = set(decision_digests)
    superseded = _superseded(history)
    for i, entry in enumerate(history):
        if i in superseded:
            continue
        if entry.action in DECISION_ACTIONS and entry.item and entry.item not in held:
            out.append(
                Problem(
                    "records a decision the record no longer holds", f"history[{i}]", entry.detail
                )
            )
        field = ITEM_ACTIONS.get(entry.action)
        if field and entry.item and entry.item not in {digest(x) for x in getattr(record, field)}:
            out.append(
                Problem(
                    f"records {field} the record no longer holds as it was",
                    f"history[{i}]",
                    entry.detail,
                )
            )
        if entry.action in CHANGE_ACTIONS and entry.item and not _holds(record, entry):
            out.append(
                Problem(
                    f"{entry.action}s {entry.ref or 'an item'}, which the record no longer "
                    "holds as this entry left it",
                    f"history[{i}]",
                    entry.detail,
                )
            )
    return out


def _superseded(history: Sequence[HistoryEntry]) -> set[int]:
    """The entries whose recorded item a later correction or retraction replaced."""
    out: set[int] = set()
    replaced: set[str] = set()
    for i in range(len(history) - 1, -1, -1):
        entry = history[i]
        if entry.item is not None and entry.item in replaced:
            out.add(i)
        if entry.action in CHANGE_ACTIONS and entry.replaces:
            replaced.add(entry.replaces)
    return out


def _holds(record: Record, entry: HistoryEntry) -> bool:
    """Whether the record holds the item a correction or retraction left."""
    field = KINDS.get((entry.ref or "").partition("-")[0])
    fields = [field] if field else list(KINDS.values())
    return any(entry.item == digest(x) for f in fields for x in items_of(record, f))
