"""An append written without tomlkit (``ecf._append``) is byte for byte what tomlkit writes.

``ecf add`` on a long record used to parse and render the whole file with tomlkit; an append is
now spliced into the text.  The guarantee: whenever the splice is taken, its text is the one
the tomlkit patch (:func:`ecf.store.patched`) writes, over generated records, hand layouts
(comments, blank lines, multi-line arrays, an ``[extra]`` table) and appended entries with any
text; otherwise the store falls back to the patch.

To see it fail: in ``src/ecf/_append.py``, drop the blank line written after each new entry
(``f"{blank}[[{key}]]\\n{lines}\\n"`` -> ``f"{blank}[[{key}]]\\n{lines}"``), or write dates
with a ``T`` (``value.isoformat()`` -> ``value.isoformat() + "T"``), and run this file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import ecf
from ecf import _append, store
from ecf.history import verify
from ecf.records import Attachment, Evidence, HistoryEntry, Record, record_to_dict
from ecf.testing.strategies import records

TODAY = dt.date(2026, 11, 24)
TEXT = st.text(st.characters(codec="utf-8"), max_size=20)
#: A comment's text: no control characters (TOML refuses them in comments), tabs aside.
COMMENT = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=20)


@st.composite
def layouts(draw: st.DrawFn, text: str) -> str:
    """``text`` as a person might have edited it: comments, blank lines, arrays over lines."""
    out: list[str] = []
    for read in (f"{line}\n" for line in text.split("\n")[:-1]):  # not at U+0085, U+2028
        line = read
        choice = draw(st.integers(0, 9))
        if choice == 0:
            out.append(f"# {draw(COMMENT)}\n")
        elif choice == 1:
            out.append("\n" * draw(st.integers(1, 3)))
        elif choice == 2 and line == "\n":
            continue  # a blank line removed
        if choice == 3 and " = [" in line and line.endswith("]\n") and "{" not in line:
            key, _, items = line.partition(" = [")
            parts = [p for p in items[:-2].split(", ") if p]
            line = f"{key} = [\n" + "".join(f"    {p},\n" for p in parts) + "]\n"
        elif choice == 4 and " = " in line and not line.startswith("[") and "[" not in line:
            line = f"{line[:-1]}  # {draw(COMMENT)}\n"
        out.append(line)
    if draw(st.booleans()):
        out.append(f"# {draw(COMMENT)}\n")
    if "[extra]" not in text and draw(st.booleans()):
        out.append('\n[extra]\nnote = "kept"\n')
    return "".join(out)


@st.composite
def appends(draw: st.DrawFn, record: Record) -> Record:
    """``record`` with some evidence and history entries appended (any text, any time zone)."""
    evidence = list(record.evidence)
    for n in range(draw(st.integers(0, 3))):
        evidence.append(
            Evidence(
                f"ev-{900 + n}",
                draw(st.sampled_from(["supervision", "pdp", "cpd"])),
                draw(st.dates(dt.date(1950, 1, 1), dt.date(2100, 12, 31))),
                tuple(draw(st.lists(TEXT, max_size=3))),
                draw(st.none() | TEXT),
                draw(st.none() | st.builds(Attachment, TEXT, TEXT)),
                draw(st.none() | TEXT),
            )
        )
    new = record
    for _ in range(draw(st.integers(1, 3))):
        zone = draw(st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=1))]))
        at = draw(
            st.datetimes(
                dt.datetime(1950, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
                dt.datetime(2100, 1, 1),  # noqa: DTZ001 - as above
                timezones=st.just(zone),
            )
        )
        entry = HistoryEntry(at, draw(TEXT), "add-evidence", draw(TEXT))
        new = new.changed(entry, evidence=tuple(evidence))
    return new


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data(), records(today=TODAY, max_evidence=4))
def test_an_append_is_written_as_tomlkit_writes_it(data: st.DataObject, record: Record) -> None:
    text = data.draw(layouts(store.render(record)))
    read = store.parse_record(text.encode(), Path("r.toml"))
    new = data.draw(appends(read))
    old_data, new_data = record_to_dict(read), record_to_dict(new)
    fast = _append.appended(text, old_data, new_data)
    event("spliced" if fast is not None else "patched")
    if fast is not None:
        assert fast == store.patched(text, old_data, new_data)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data(), records(today=TODAY, max_evidence=4))
def test_a_file_ecf_wrote_takes_the_splice(data: st.DataObject, record: Record) -> None:
    # The fast path is taken for what ecf writes itself, whenever each array appended to exists.
    text = store.render(record)
    new = data.draw(appends(record))
    old_data, new_data = record_to_dict(record), record_to_dict(new)
    fast = _append.appended(text, old_data, new_data)
    changed = [key for key in ("evidence", "history") if old_data.get(key) != new_data.get(key)]
    if all(old_data.get(key) for key in changed):
        assert fast is not None
        assert fast == store.patched(text, old_data, new_data)


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda t: t.replace("[[evidence]]", "[[ evidence ]]", 1), "a header with blanks"),
        (lambda t: t.replace("[[evidence]]", "  [[evidence]]", 1), "an indented header"),
        (lambda t: t.replace("[[evidence]]", "[[evidence]] # first", 1), "a header's comment"),
        (lambda t: t + 'x = """\n[[evidence]]\n"""\n', "a multi-line string"),
        (lambda t: t.rstrip("\n"), "no newline at the end"),
        (lambda t: t.replace("\n", "\r\n"), "CRLF line ends"),
        (lambda t: t.replace("[[evidence]]", "[[history]]\n[[evidence]]", 1), "an extra entry"),
    ],
)
def test_anything_but_a_plain_layout_falls_back(edit: object, why: str, tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_bytes(
        (Path(__file__).parent.parent / "examples/records/full-time.toml").read_bytes()
    )
    text = path.read_text(encoding="utf-8")
    opened = store.open_record(path)
    entry = HistoryEntry(dt.datetime(2026, 11, 30, tzinfo=dt.UTC), "t", "add-evidence", "x")
    more = Evidence("ev-900", "pdp", dt.date(2026, 3, 1))
    new = opened.record.changed(entry, evidence=(*opened.record.evidence, more))
    old_data, new_data = record_to_dict(opened.record), record_to_dict(new)
    assert _append.appended(text, old_data, new_data) is not None  # the file as it is: spliced
    assert callable(edit)
    assert _append.appended(edit(text), old_data, new_data) is None, why


def test_a_change_that_is_not_an_append_falls_back() -> None:
    old = {"id": "a", "evidence": [{"id": "ev-1"}], "history": [{"action": "new"}]}
    text = '# x\nid = "a"\n\n[[evidence]]\nid = "ev-1"\n\n[[history]]\naction = "new"\n'
    assert _append.appended(text, old, {**old, "id": "b"}) is None  # a value changed
    assert (
        _append.appended(text, old, {**old, "evidence": [{"id": "ev-0"}, {"id": "ev-1"}]}) is None
    )
    assert _append.appended(text, old, {**old, "hours": [{"fte": 1}]}) is None  # a new array
    assert _append.appended(text, old, old) is None  # nothing to append
    nested = {**old, "evidence": [{"id": "ev-1"}, {"id": "ev-2", "x": [{"a": 1}]}]}
    assert _append.appended(text, old, nested) is None  # an array of tables in an entry
    good = {**old, "evidence": [{"id": "ev-1"}, {"id": "ev-2"}]}
    assert _append.appended(text, old, good) == text.replace(
        "\n\n[[history]]", '\n\n[[evidence]]\nid = "ev-2"\n\n[[history]]'
    )


@pytest.mark.parametrize("entries", [1, 3, 40])
def test_ecf_add_writes_the_same_bytes_and_verify_accepts_them(
    entries: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
    files = []
    for name, splice in (("fast.toml", True), ("slow.toml", False)):
        if not splice:
            monkeypatch.setattr(_append, "appended", lambda *_: None)
        path = tmp_path / name
        ecf.create(
            path, by="t", id="ph-1", name="A B", qualified=dt.date(2025, 7, 10), stage="asye",
            start=dt.date(2026, 2, 2), today=TODAY, clock=lambda: moment,
        )  # fmt: skip
        for n in range(entries):
            with ecf.edit(path, by="t", today=TODAY, clock=lambda: moment) as editor:
                editor.add_evidence(
                    "supervision", dt.date(2026, 3, 1) + dt.timedelta(days=n), by='S. "K"',
                    standards=["kss-cf:9"], note="line one\nline two",
                )  # fmt: skip
                if n == 0:
                    editor.add_review("review-3m", dt.date(2026, 5, 1))
        files.append(path)
    assert files[0].read_bytes() == files[1].read_bytes()
    assert verify(store.read_record(files[0])) == []


def test_a_splice_that_does_not_read_back_as_the_record_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spliced text that holds another record (a slip in the splice) gives way to the patch."""
    moment = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
    path = tmp_path / "r.toml"
    ecf.create(
        path, by="t", id="ph-1", name="A B", qualified=dt.date(2025, 7, 10), stage="asye",
        start=dt.date(2026, 2, 2), today=TODAY, clock=lambda: moment,
    )  # fmt: skip
    for day in (1, 2):  # the second is an append to an array the file holds: a splice
        if day == 2:
            monkeypatch.setattr(_append, "appended", slipped)
        with ecf.edit(path, by="t", today=TODAY, clock=lambda: moment) as editor:
            editor.add_evidence("supervision", dt.date(2026, 3, day), standards=["kss-cf:9"])
    assert spliced, "the splice was not tried"
    written = store.read_record(path)
    assert written.name == "A B"
    assert len(written.evidence) == 2
    assert verify(written) == []


#: The texts :func:`slipped` gave.
spliced: list[str] = []


def slipped(text: str, old: dict[str, object], new: dict[str, object]) -> str | None:
    """The splice with a slip: the name changed in the text."""
    out = REAL_APPENDED(text, old, new)
    if out is None:
        return None
    spliced.append(out)
    return out.replace('name = "A B"', 'name = "A C"')


REAL_APPENDED = _append.appended
