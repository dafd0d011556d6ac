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

**Every byte sealed** (chain version 3, :data:`SEALED`): each entry also seals the whole record
as its change left it (``state``, :func:`ecf.records.content_seal`): identity, enrolments,
prior stages, employment, hours, absences, evidence, milestones, agreed dates, assignments,
decisions, appeals, ``extra``, everything but the history, with the entry's own fields.  So:

* any change to the record's content not made through ecf no longer matches the last entry's
  seal, and :func:`verify` names that entry;
* a change made through ecf after a hand edit does not hide it: its entry says the content it
  found did not hold the seal before (``hand_edited``), and :func:`verify` names it for ever;
* once an entry is sealed, every later one must be: an entry without a seal after one with it
  was written by hand.

Entries written before chain version 3 have no seal and verify as they always did.

**Signed history** (:mod:`ecf.signing`): with a council's Ed25519 key, every entry written is
signed (``key``, ``sig``: the signature of the whole entry, its seal and its link included).
``verify(record, public_keys=[...])`` then checks each signature, asks every entry after the
first signed one to be signed, and the last entry to be: a chain rewritten consistently, digests
and seals recomputed, no longer carries valid signatures.

What the file alone cannot show: the *last* entries removed together with what they added,
the content put back as the remaining last entry sealed it (a chain has nothing after its end
to break; a signature proves who wrote an entry, not that no entry came after).  Keep record
files in version control if that matters (``SECURITY.md``).

Records of every older schema load forever; :func:`upgrade` (``ecf migrate``) brings one to the
current schema: a schema-1 record's history is chained and the decisions it already holds are
sealed in one ``migrate`` entry; a schema-2 record gains only that entry (schema 3 added fields,
all optional).  The ``migrate`` entry seals the whole content, schema-1 evidence included.
``migrate`` never seals what it cannot verify: a history that is chained already (whatever its
``schema_version`` says: setting ``schema_version = 1`` by hand is an edit like any other) is
not chained again and its decisions are not sealed again, so every problem :func:`verify`
found before the migration it finds after.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import attrs

from ecf.errors import Problem
from ecf.items import KINDS, items_of
from ecf.records import SCHEMA_VERSION, HistoryEntry, Record, canonical, content_seal, digest

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ecf.signing import PublicKey, SigningKey

__all__ = ["chained", "seal", "sign", "signed_bytes", "upgrade", "verify"]

#: The first schema whose history is chained (tamper-evident).
CHAINED = 2
#: The chain version whose entries seal the record's whole content (``state``) and may be signed.
SEALED = 3
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
    if record.schema_version >= CHAINED or chained(record):
        # Chained already: never chained or sealed again, so what verify() finds stays found
        # (``changed`` notes a content that no longer holds its last seal).
        return record.changed(
            attrs.evolve(
                entry, detail=entry.detail or f"schema {record.schema_version} to {SCHEMA_VERSION}"
            ),
            schema_version=SCHEMA_VERSION,
        )
    links: list[HistoryEntry] = []
    for old in record.history:
        links.append(attrs.evolve(old, prev=digest(links[-1]) if links else None))
    sealed = attrs.evolve(
        entry,
        detail=entry.detail
        or f"schema {record.schema_version} to {SCHEMA_VERSION}; "
        f"{len(record.decisions)} decisions sealed",
        item=seal(record.decisions),
    )
    base = attrs.evolve(record, schema_version=SCHEMA_VERSION, history=tuple(links))
    return base.changed(sealed)


def chained(record: Record) -> bool:
    """Whether any history entry carries a digest: the history was chained by ecf already."""
    return any(
        e.prev or e.item or e.state or e.sig or e.replaces or e.hand_edited for e in record.history
    )


def signed_bytes(entry: HistoryEntry) -> bytes:
    """What an entry's signature signs: the whole entry but ``sig``, as canonical JSON."""
    return canonical(attrs.evolve(entry, sig=None))


def sign(record: Record, since: int, key: SigningKey | None) -> Record:
    """The record with its history entries from ``since`` on signed with ``key``.

    Each entry is linked again to the one before (whose digest its signature changed), then
    signed; its seal (``state``) does not cover the link or the signature, so it still holds.
    ``key`` None: the record as it is.
    """
    if key is None or since >= len(record.history):
        return record
    history = list(record.history[:since])
    for entry in record.history[since:]:
        linked = attrs.evolve(
            entry, prev=digest(history[-1]) if history else None, key=key.fingerprint, sig=None
        )
        history.append(attrs.evolve(linked, sig=key.sign(signed_bytes(linked))))
    return attrs.evolve(record, history=tuple(history))


def verify(record: Record, public_keys: Iterable[PublicKey] | None = None) -> list[Problem]:
    """Every sign that the record's history, decisions or content were changed by hand.

    Args:
        record: The record as read.
        public_keys: The keys whose signatures prove the history (``ecf verify --public-key``):
            then every signature must verify with one of them, every entry after the first
            signed one must be signed, and so must the last.  None: signatures are not checked.

    Returns:
        One problem per broken link, unmatched decision, missing item, broken seal or
        signature, in the order of the history; empty when intact.
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
    out.extend(_seals(record))
    if public_keys is not None:
        out.extend(_signatures(history, {k.fingerprint: k for k in public_keys}))
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
    digests = _ItemDigests(record)
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
        if field and entry.item and entry.item not in digests.of(field):
            out.append(
                Problem(
                    f"records {field} the record no longer holds as it was",
                    f"history[{i}]",
                    entry.detail,
                )
            )
        if entry.action in CHANGE_ACTIONS and entry.item and not _holds(digests, entry):
            out.append(
                Problem(
                    f"{entry.action}s {entry.ref or 'an item'}, which the record no longer "
                    "holds as this entry left it",
                    f"history[{i}]",
                    entry.detail,
                )
            )
    return sorted(out, key=_entry_order)


_ENTRY = re.compile(r"history\[(\d+)\]")


def _entry_order(problem: Problem) -> tuple[int, int]:
    """Where a problem goes in :func:`verify`'s list: the history's first, entry by entry.

    So the first problem names the first entry that no longer holds; those of the record's
    items (a decision edited by hand) follow, in the order found.
    """
    found = _ENTRY.match(problem.path)
    return (0, int(found.group(1))) if found else (1, 0)


def _seals(record: Record) -> list[Problem]:
    """The problems with the content seals (chain version 3): see the module's docstring."""
    out: list[Problem] = []
    history = record.history
    first = next((i for i, e in enumerate(history) if e.state is not None), None)
    if first is None:
        return out
    for i in range(first, len(history)):
        entry = history[i]
        if entry.state is None:
            out.append(
                Problem(
                    "this entry has no seal, although an entry before it has: added or edited "
                    "by hand",
                    f"history[{i}].state",
                    entry.action,
                )
            )
        if entry.hand_edited is not None:
            where = f"history[{i - 1}]" if i else "the entry before"
            out.append(
                Problem(
                    f"the record this change found had been changed by hand since {where} "
                    "sealed it (not through ecf)",
                    f"history[{i}].hand_edited",
                    entry.action,
                )
            )
    last = history[-1]
    if last.state is not None and last.state != content_seal(record, last):
        out.append(
            Problem(
                "the record is not as this entry sealed it: its content (identity, stages, "
                "hours, absences, evidence, milestones, decisions...) or this entry was "
                "changed by hand since",
                f"history[{len(history) - 1}].state",
                last.action,
            )
        )
    return out


def _signatures(history: Sequence[HistoryEntry], keys: dict[str, PublicKey]) -> list[Problem]:
    """The problems with the signatures, checked with ``keys`` (by fingerprint)."""
    out: list[Problem] = []
    first = next((i for i, e in enumerate(history) if e.sig is not None), None)
    if first is None:
        return [
            Problem(
                "no entry is signed: the history cannot be proved with a public key",
                "history",
                len(history),
            )
        ]
    for i in range(first, len(history)):
        entry = history[i]
        if entry.sig is None:
            out.append(
                Problem(
                    "this entry is not signed, although an entry before it is: added or "
                    "rewritten without the key",
                    f"history[{i}].sig",
                    entry.action,
                )
            )
            continue
        key = keys.get(entry.key or "")
        if key is None:
            out.append(
                Problem("signed by a key not given (--public-key)", f"history[{i}].key", entry.key)
            )
        elif not key.verifies(signed_bytes(entry), entry.sig):
            out.append(
                Problem(
                    "the signature does not match: this entry was rewritten since it was signed",
                    f"history[{i}].sig",
                    entry.action,
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


class _ItemDigests:
    """The digests of a record's items, field by field, each field's computed once.

    :func:`verify` asks for them at every entry that recorded an item: computing them afresh
    each time made it quadratic in the history's length (about 1 s at 200 entries).
    """

    def __init__(self, record: Record) -> None:
        self._record = record
        self._known: dict[str, frozenset[str]] = {}

    def of(self, field: str) -> frozenset[str]:
        """The digests of the items in ``field`` (``evidence``, ``milestones``, ...)."""
        known = self._known.get(field)
        if known is None:
            known = self._known[field] = frozenset(digest(x) for x in items_of(self._record, field))
        return known


def _holds(digests: _ItemDigests, entry: HistoryEntry) -> bool:
    """Whether the record holds the item a correction or retraction left."""
    field = KINDS.get((entry.ref or "").partition("-")[0])
    fields = [field] if field else list(KINDS.values())
    return any(entry.item in digests.of(f) for f in fields)
