"""Issue 14, item 2: the reports that assess every record, made cheaper, give what they gave.

Never how fast (``benchmarks/cohort.py`` measures that): each faster path is compared with the
plain formulation it replaces, written out here.

* the assessor's minimal view (:func:`ecf.privacy.view`), built in one pass with each instance
  rebuilt at most once, is the view ``attrs.evolve`` made field by field (written out here with
  the walk :func:`ecf.privacy.anonymise` still uses), for any record and any declaration, and
  the view of fewer fields made from a view of more is the view made from the record;
* :func:`ecf._replace.replace` makes the value ``attrs.evolve`` makes;
* a rule file is loaded once per process while one ``stat`` of it gives the same file, size
  and time, and read again when it changed or was replaced, whatever its size and time;
* the personal fields a rule set reads are the ones its rules declare, asked once per set;
* the coverage rule counts the citations of each standard as one pass per standard did;
* ``ecf funding`` through the parallel, cached scan prints what it printed reading its records
  one by one (written out here), the same with one worker, two, or the cache.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ecf import assessors, export, funding, privacy, rules, sources
from ecf._convert import to_json
from ecf._replace import replace
from ecf.cli import main
from ecf.fields import FIELDS
from ecf.findings import Finding, Override
from ecf.framework import FrameworkRegistry
from ecf.records import Evidence, record_from_dict
from ecf.testing import records

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ecf.framework import Framework
    from ecf.records import Record

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import synth

REGISTRY = FrameworkRegistry.default()
FRAMEWORK = REGISTRY.get()


FULL: dict[str, Any] = {
    "schema_version": 3,
    "id": "ph-1",
    "name": "Amira Okafor",
    "swe": "SW1",
    "qualified": dt.date(2024, 7, 10),
    "service": "children",
    "enrolments": [{"stage": "asye", "start": dt.date(2025, 2, 3), "framework": "baseline-2026"}],
    "evidence": [
        {
            "id": "ev-001",
            "date": dt.date(2025, 3, 1),
            "kind": "direct-observation",
            "standards": ["pcf:1"],
            "by": "M. Reid",
            "note": "a note",
            "attachment": {"ref": "a.pdf", "sha256": "0" * 64},
        }
    ],
    "absences": [{"kind": "sickness", "first": dt.date(2025, 4, 1), "last": dt.date(2025, 5, 30)}],
    "extra": {"team": "north", "caseload": 12},
}


def view_by_evolve(
    record: Record, fields: Iterable[str] = (), frameworks: Iterable[Framework] = ()
) -> Record:
    """:func:`ecf.privacy.view` as it was written before issue 14: ``attrs.evolve`` per item."""
    granted = frozenset(fields)
    keys = {k for p in granted if (k := privacy._extra_key(p))}
    known = tuple(frameworks)

    def blank(path: str, field: attrs.Attribute[Any], value: Any) -> Any:
        if path == "extra":
            return {k: v for k, v in value.items() if k in keys}
        if path == "absences.kind":
            return privacy.neutral_absence_kind(value, known)
        if field.default is not attrs.NOTHING:
            return privacy._default(field)
        return ""

    stripped: Record = privacy._strip(record, "", granted, blank)
    return attrs.evolve(stripped, extra=copy.deepcopy(stripped.extra))


@given(records(), st.data())
def test_the_view_is_the_one_evolve_made(record: Record, data: st.DataObject) -> None:
    paths = sorted(FIELDS) + [f"extra.{k}" for k in record.extra] + ["extra.absent"]
    declared = data.draw(st.sets(st.sampled_from(paths)))
    seen = privacy.view(record, declared, [FRAMEWORK])
    assert seen == view_by_evolve(record, declared, [FRAMEWORK])
    assert seen.extra is not record.extra


@attrs.frozen
class MarkedEvidence(Evidence):
    """Evidence of a subclass (as a council's own code might make): kept of its class."""


def test_a_list_of_items_of_several_classes_is_stripped_item_by_item() -> None:
    plain = Evidence("ev-1", "direct-observation", dt.date(2025, 3, 1), ("pcf:1",), by="A. B")
    marked = MarkedEvidence("ev-2", "review", dt.date(2025, 3, 2), (), by="C. D", note="x")
    record = attrs.evolve(record_from_dict(FULL), evidence=(plain, marked))
    seen = privacy.view(record, (), [FRAMEWORK])
    assert seen == view_by_evolve(record, (), [FRAMEWORK])
    assert [type(e) for e in seen.evidence] == [Evidence, MarkedEvidence]
    assert [e.by for e in seen.evidence] == [None, None]


@given(records(), st.data())
def test_a_view_of_a_wider_view_is_the_view_of_the_record(
    record: Record, data: st.DataObject
) -> None:
    paths = sorted(FIELDS) + [f"extra.{k}" for k in record.extra]
    wider = data.draw(st.sets(st.sampled_from(paths)))
    fewer = data.draw(st.sets(st.sampled_from(sorted(wider)))) if wider else set()
    made = privacy.view(record, wider, [FRAMEWORK])
    assert privacy.view(made, fewer, [FRAMEWORK]) == privacy.view(record, fewer, [FRAMEWORK])


def test_the_view_blanks_what_the_reference_blanks_on_a_full_record() -> None:
    """Every personal field filled in at once (the strategy draws them one by one)."""
    record = record_from_dict(FULL)
    for declared in ((), {"evidence.by"}, {"evidence", "extra.team"}, {"name", "absences"}):
        assert privacy.view(record, declared, [FRAMEWORK]) == view_by_evolve(
            record, declared, [FRAMEWORK]
        )


findings = st.builds(
    Finding,
    rule=st.text(min_size=1, max_size=5),
    assessor=st.text(max_size=5),
    version=st.text(max_size=5),
    status=st.sampled_from(["met", "pending", "missed", "not-applicable", "error"]),
    message=st.text(max_size=10),
    evidence=st.lists(st.text(max_size=4), max_size=3).map(tuple),
    deadline=st.none() | st.dates(),
    behind=st.booleans(),
    category=st.sampled_from(["practitioner", "support"]),
    override=st.none() | st.builds(Override, council=st.text(max_size=4)),
)
CHANGES = {
    "assessor": st.text(max_size=5),
    "version": st.text(max_size=5),
    "category": st.sampled_from(["practitioner", "support"]),
    "override": st.none() | st.builds(Override, council=st.text(max_size=4)),
    "message": st.text(max_size=10),
}


@given(findings, st.fixed_dictionaries({}, optional=CHANGES))
def test_replace_makes_what_evolve_makes(finding: Finding, changes: dict[str, Any]) -> None:
    made = replace(finding, changes)
    assert made == attrs.evolve(finding, **changes)
    assert type(made) is Finding


@given(records(), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
def test_replace_of_a_record_is_evolve_s(record: Record, extra: dict[str, int]) -> None:
    assert replace(record, {"extra": extra, "name": ""}) == attrs.evolve(
        record, extra=extra, name=""
    )


def test_replace_takes_keyword_only_fields_through_evolve() -> None:
    @attrs.frozen
    class Late:
        a: int
        b: int = attrs.field(kw_only=True, default=0)
        c: int = attrs.field(init=False, default=7)

    assert replace(Late(1, b=2), {"a": 3}) == Late(3, b=2)
    assert replace(Late(1, b=2), {"b": 5}) == Late(1, b=5)


def test_replace_refuses_a_name_that_is_not_a_field() -> None:
    finding = Finding("r", "a", "1", "met", "ok")
    with pytest.raises(KeyError, match="nope"):
        replace(finding, {"status": "missed", "nope": 1})
    assert replace(finding, {}) == finding


RULE_FILE = """\
version = "{version}"
framework = "baseline-2026"

[[rules]]
id = "observations"
kind = "count"
evidence = ["direct-observation"]
min = {least}
by = "end"
"""


@pytest.fixture
def fresh_rules(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The rule files loaded while the test runs (the process's cache emptied first)."""
    monkeypatch.setattr(assessors, "_RULES_CACHE", {})
    loaded: list[Path] = []
    real = rules.load_rules

    def load(path: Path, *args: Any) -> rules.RuleSet:
        loaded.append(path)
        return real(path, *args)

    monkeypatch.setattr(assessors, "load_rules", load)
    return loaded


def _load(path: Path) -> rules.RuleSet:
    return assessors._load_rules(path, FRAMEWORK, dict(rules.BUILTIN_KINDS))


def test_a_rule_file_is_loaded_once_while_it_stays_the_same(
    tmp_path: Path, fresh_rules: list[Path]
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULE_FILE.format(version="a", least=3), encoding="utf-8")
    first = _load(path)
    assert _load(path) is first
    link = tmp_path / "link.toml"
    link.symlink_to(path)
    assert _load(link) is first  # the same file under another path, as its resolved path was
    assert fresh_rules == [path]
    other_kinds = {**rules.BUILTIN_KINDS, "count": type("Count", (rules.CountRule,), {})}
    assert assessors._load_rules(path, FRAMEWORK, other_kinds) is not first
    assert fresh_rules == [path, path]


def test_a_rule_file_changed_or_replaced_is_read_and_checked_again(
    tmp_path: Path, fresh_rules: list[Path]
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULE_FILE.format(version="a", least=3), encoding="utf-8")
    before = path.stat()
    assert _load(path).version == "a"
    # The same size and times, another content: written in place (the time set back) ...
    path.write_text(RULE_FILE.format(version="b", least=3), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1))
    assert _load(path).version == "b"
    # ... or another file renamed over it with the same size and times: its inode differs.
    other = tmp_path / "other.toml"
    other.write_text(RULE_FILE.format(version="c", least=3), encoding="utf-8")
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns + 1))
    other.replace(path)
    assert _load(path).version == "c"
    # A change that makes the file invalid is refused, as the first load would refuse it.
    path.write_text(RULE_FILE.format(version="d", least=-1), encoding="utf-8")
    with pytest.raises(rules.RuleError):
        _load(path)
    assert len(fresh_rules) == 4


def test_the_fields_a_rule_set_reads_are_asked_once_and_follow_the_set() -> None:
    baseline = _load(Path(assessors.__file__).parent / "data" / "rules" / "baseline-2026.toml")
    first = assessors.rule_fields(baseline)
    assert first == assessors._rule_fields(baseline)
    assert assessors.rule_fields(baseline) == first
    assert first[0]  # the baseline reads the authors of evidence (distinct authors)
    assert assessors.rule_fields(attrs.evolve(baseline, rules=())) == (frozenset(), [])


AS_OF = synth.TODAY
KEY = b"a key of sixteen bytes or more"


@pytest.fixture(scope="module")
def funded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Records at every stage, a broken file, an id two files hold, a date out of range."""
    root = tmp_path_factory.mktemp("funded")
    synth.generate(root, 40)
    first = root / "batch-0000" / "r000003.toml"
    (root / "copy.toml").write_text(first.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "broken.toml").write_text("id = ", encoding="utf-8")
    far = (root / "batch-0000" / "r000004.toml").read_text(encoding="utf-8")
    (root / "far.toml").write_text(
        far.replace('id = "', 'id = "far-', 1).replace("start = 20", "start = 99", 1),
        encoding="utf-8",
    )
    return root


def funding_as_it_was(
    paths: list[Path], year: str, as_of: dt.date, key: bytes | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """``ecf funding``'s rows and error lines as it made them: each record read in turn."""
    loaded = sources.load(paths, REGISTRY, dt.date.today())  # noqa: DTZ011 - as the CLI
    errors = [f"error: {line}" for failure in loaded.failures for line in failure.lines()]
    data = funding.funding_year(year)
    rows: list[dict[str, Any]] = []
    for record in loaded.records:
        for item in funding.funding_for(record, data, as_of):
            row: dict[str, Any] = to_json(item)
            if key is not None:
                row["id"] = export.pseudonym(key, record.id)
            rows.append(row)
    return rows, errors


def run_funding(*args: str | Path) -> Any:
    env = {"ECF_PSEUDONYM_KEY": KEY.decode()}
    return CliRunner().invoke(main, ["funding", *map(str, args)], env=env)


def test_funding_through_the_scan_prints_what_reading_one_by_one_printed(funded: Path) -> None:
    missing = funded / "missing.toml"
    when = ["--as-of", AS_OF.isoformat(), "--year", "2026-27"]
    rows, errors = funding_as_it_was([funded, missing], "2026-27", AS_OF)
    assert len(errors) >= 4  # the broken file, the id two files hold, the far date, the missing
    for options in (["--workers", "2", "--no-cache"], ["--workers", "1"], []):
        result = run_funding(funded, missing, "--format", "json", *when, *options)
        assert result.exit_code == 1
        assert json.loads(result.stdout)["records"] == rows
        assert result.stderr.splitlines() == errors
    rows, errors = funding_as_it_was([funded], "2026-27", AS_OF, key=KEY)
    result = run_funding(funded, "--format", "json", "--pseudonymise", *when)
    assert json.loads(result.stdout)["records"] == rows
    assert result.stderr.splitlines() == errors


def test_funding_prints_the_same_with_one_worker_two_or_the_cache(funded: Path) -> None:
    when = ["--as-of", AS_OF.isoformat(), "--year", "2026-27"]
    for shown in ([], ["--format", "csv", "--pseudonymise"]):
        one = run_funding(funded, *when, *shown, "--workers", "1", "--no-cache")
        assert one.exit_code == 1
        assert "records, funding year 2026-27" in one.stdout or shown
        for options in (["--workers", "2", "--no-cache"], ["--workers", "2"], []):
            again = run_funding(funded, *when, *shown, *options)
            assert (again.exit_code, again.stdout, again.stderr) == (
                one.exit_code,
                one.stdout,
                one.stderr,
            )


def test_funding_names_the_files_of_a_folder_as_it_did(
    funded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(funded)
    rows, errors = funding_as_it_was([Path(), Path("./missing.toml")], "2026-27", AS_OF)
    assert any(line.startswith("error: broken.toml: ") for line in errors)
    result = run_funding(
        ".", "./missing.toml", "--format", "json", "--year", "2026-27", "--as-of", AS_OF.isoformat()
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["records"] == rows
    assert result.stderr.splitlines() == errors


@given(records(), st.sets(st.sampled_from(sorted(FRAMEWORK.standard_ids())), max_size=40))
def test_citations_are_counted_as_one_pass_per_standard_counted_them(
    record: Record, candidates: set[str]
) -> None:
    candidates |= {s for e in record.evidence[:2] for s in e.standards}
    counted = rules._citations(record.evidence, candidates)
    expected = {sid: sum(sid in e.standards for e in record.evidence) for sid in candidates}
    assert counted == expected
    assert list(counted) == list(expected)  # in the same order


def test_a_standard_cited_twice_by_one_piece_counts_once() -> None:
    twice = Evidence("ev-1", "direct-observation", dt.date(2025, 3, 1), ("pcf:1", "pcf:1"))
    once = Evidence("ev-2", "direct-observation", dt.date(2025, 3, 2), ("pcf:1", "pcf:2"))
    assert rules._citations([twice, once], {"pcf:1", "pcf:2", "pcf:3"}) == {
        "pcf:1": 2,
        "pcf:2": 1,
        "pcf:3": 0,
    }
