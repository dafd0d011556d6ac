"""Every field of a record, classified: personal, special category or career.

One table for the whole record model (:data:`FIELDS`, nested fields included; a test fails when
a field of the model is missing from it), and the one rule errors follow with it: an error shows
the offending value so that a person can fix it, except the value of a personal or special
field (:func:`shown_in_errors`).  It is a leaf: :mod:`ecf.errors` reads it, and
:mod:`ecf.privacy` builds the assessors' views, anonymisation and subject access on it (its
module docstring says what each category holds and why).
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["CATEGORIES", "FIELDS", "Category", "category", "shown_in_errors"]

Category = Literal["personal", "special", "career"]

#: What each category means, for people (the subject access export repeats it).
CATEGORIES: dict[Category, str] = {
    "personal": "identifies the practitioner or a colleague the record names",
    "special": "may reveal a special category of personal data (health)",
    "career": "a fact of the early career that matters without the person",
}

#: Every field of the record model, by its path (attribute names, nested ones joined by a dot;
#: one entry stands for every item of a list).  A container's own category is that of its
#: existence; its fields are classified one by one.
FIELDS: dict[str, Category] = {
    "schema_version": "career",
    "id": "personal",
    "name": "personal",
    "qualified": "career",
    "service": "career",
    "swe": "personal",
    "council": "career",
    "registered": "career",
    "began": "career",
    "prior": "career",
    "prior.stage": "career",
    "prior.passed": "career",
    "prior.note": "personal",
    "employment": "career",
    "employment.council": "career",
    "employment.from_": "career",
    "employment.to": "career",
    "employment.id": "career",
    "enrolments": "career",
    "enrolments.stage": "career",
    "enrolments.start": "career",
    "enrolments.framework": "career",
    "hours": "career",
    "hours.from_": "career",
    "hours.fte": "career",
    "hours.id": "career",
    "hours.retracted": "career",
    "absences": "career",
    "absences.kind": "special",
    "absences.first": "career",
    "absences.last": "career",
    "absences.id": "career",
    "absences.retracted": "career",
    "evidence": "career",
    "evidence.id": "career",
    "evidence.kind": "career",
    "evidence.date": "career",
    "evidence.standards": "career",
    "evidence.by": "personal",
    "evidence.attachment": "personal",
    "evidence.attachment.ref": "personal",
    "evidence.attachment.sha256": "personal",
    "evidence.note": "personal",
    "evidence.retracted": "career",
    "milestones": "career",
    "milestones.stage": "career",
    "milestones.id": "career",
    "milestones.date": "career",
    "agreed": "career",
    "agreed.stage": "career",
    "agreed.milestone": "career",
    "agreed.due": "career",
    "agreed.note": "personal",
    "assignments": "career",
    "assignments.role": "career",
    "assignments.name": "personal",
    "assignments.from_": "career",
    "assignments.to": "career",
    "assignments.id": "career",
    "milestones.ref": "career",
    "milestones.retracted": "career",
    "decisions": "career",
    "decisions.stage": "career",
    "decisions.outcome": "career",
    "decisions.date": "career",
    "decisions.by": "personal",
    "decisions.panel": "personal",
    "decisions.until": "career",
    "decisions.corrects": "career",
    "decisions.id": "career",
    "decisions.reason": "career",
    "appeals": "career",
    "appeals.decision": "career",
    "appeals.lodged": "career",
    "appeals.outcome": "career",
    "appeals.date": "career",
    "appeals.by": "personal",
    "history": "career",
    "history.at": "career",
    "history.by": "personal",
    "history.action": "career",
    "history.detail": "special",
    "history.item": "career",
    "history.prev": "career",
    "history.ref": "career",
    "history.replaces": "career",
    "history.state": "career",
    "history.hand_edited": "career",
    "history.key": "career",
    "history.sig": "career",
    "left": "career",
    "left.date": "career",
    "left.reason": "special",
    "extra": "personal",
}

#: Fields an error may show although they are personal: the id names the record in every
#: error.  (An absence kind is not one: an unknown kind, "chemotherapy", is health data too.)
_SHOWN_IN_ERRORS = frozenset({"id"})
_INDEX = re.compile(r"\[\d+\]")
#: Keys of a record file spelled otherwise in Python (``from`` is ``from_``).
FILE_KEYS = {"from": "from_"}


def category(path: str) -> Category | None:
    """The category of a field path (``evidence[3].note``, ``extra.caseload``), or None.

    Indexes are ignored; every key under ``extra`` is ``extra``'s; a path that is not a field of
    the record model (a rule file's ``rules[0].by``) has none.
    """
    parts = _INDEX.sub("", path).split(".")
    parts = [FILE_KEYS.get(p, p) for p in parts]
    if parts[0] == "extra":
        return FIELDS["extra"]
    return FIELDS.get(".".join(parts))


def shown_in_errors(path: str, value: object) -> bool:
    """Whether an error may show ``value``, found at ``path``: never a personal one.

    A blank text is shown (it holds nothing, and "got ''" says what is wrong).
    """
    if isinstance(value, str) and not value.strip():
        return True
    found = category(path)
    return found in (None, "career") or _INDEX.sub("", path) in _SHOWN_IN_ERRORS
