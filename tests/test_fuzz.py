"""Fuzzing: hostile input never crashes ecf, and a failed command never changes a file.

Targets: the record loader (random bytes, TOML from a grammar, valid records mutated line by line
and field by field), the rule-file loader (random and mutated rule data, random rule files) and
the command line (``validate``, ``status``, ``timeline`` and the commands that change a record,
with hostile option values, on a valid record file).  The library may only raise
:class:`~ecf.errors.EcfError` subclasses; the CLI may only exit 0 or 2 (or 1 for a command over
many files), never with a traceback, and leaves the file byte for byte as it was when it fails.

By default each target runs the examples of the hypothesis profile (``dev`` 50, ``ci`` 200), a
run of a few seconds.  ``ECF_FUZZ=long`` runs :data:`LONG_EXAMPLES` per target, over 100,000 cases
in all (see FUZZING.md for the last long run):

    ECF_FUZZ=long pytest tests/test_fuzz.py --hypothesis-show-statistics
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import os
import re
import shutil
import signal
import string
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
import tomli
import tomlkit
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ecf.assessors import context_for
from ecf.attachments import check_attachments
from ecf.cli import main
from ecf.errors import EcfError
from ecf.framework import FrameworkRegistry
from ecf.records import record_to_dict
from ecf.rules import BUILTIN_KINDS, RuleError, evaluate, load_rules, load_rules_data
from ecf.status import events, status
from ecf.store import open_record, parse_record, read_record, render
from ecf.testing import records
from ecf.validation import check_record

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from hypothesis.strategies import DrawFn, SearchStrategy

    from ecf.records import Record

#: ``ECF_FUZZ=long``: the long run; ``ECF_FUZZ=2000``: that many examples per target.
FUZZ = os.environ.get("ECF_FUZZ", "")
LONG = FUZZ == "long"

#: Examples per target in the long run: 8 targets of 12,500 or more make 100,000+ cases.
LONG_EXAMPLES: dict[str, int] = {
    "bytes": 20_000,
    "grammar": 20_000,
    "mutated-lines": 15_000,
    "mutated-fields": 12_500,
    "rules-data": 12_500,
    "rules-file": 12_500,
    "cli-read": 12_500,
    "cli-write": 12_500,
}

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def fuzz(target: str) -> Callable[[Any], Any]:
    """The settings of one target: the profile's examples, or its long-run count."""
    if LONG or FUZZ.isdigit():
        return settings(
            max_examples=LONG_EXAMPLES[target] if LONG else int(FUZZ),
            deadline=None,
            suppress_health_check=_QUIET,
        )
    return settings(deadline=None, suppress_health_check=_QUIET)


REGISTRY = FrameworkRegistry.default()
FRAMEWORK = REGISTRY.get()
TODAY = dt.date.today()  # noqa: DTZ011 - the CLI's today
RECORDS = records(REGISTRY, TODAY, max_evidence=6)
BASELINE_RULES = (
    Path(__file__).parent.parent / "src" / "ecf" / "data" / "rules" / "baseline-2026.toml"
)

# --- hostile values -----------------------------------------------------------------------------

#: Strings that have broken parsers, spreadsheets, terminals and file systems.
HOSTILE: tuple[str, ...] = (
    "",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\x00",
    "a\x00b",
    "\x01\x02\x1f",
    "\x7f",
    "\x85",
    "\u2028",
    "\x1b[2J\x1b[31mred",
    "\u202e",
    "\u202egnp.exe",
    "\u200b",
    "\ufeff",
    "\ufffe",
    "\uffff",
    "\U0001f600",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "e\u0301",
    "\ud800",  # a lone surrogate, as Python decodes a non-UTF-8 command-line argument
    "\udcff",
    '"',
    "'",
    '"""',
    "'''",
    "\\",
    "\\u0000",
    "\\x",
    "]]",
    "[[",
    ']]\n[[evidence]]\nid = "x"',
    "[[evidence]]",
    "{",
    "}",
    "=",
    "#",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://example.com")',
    "+1+1",
    "-1",
    "@SUM(A1)",
    "../../etc/passwd",
    "/etc/passwd",
    "C:\\Windows\\win.ini",
    "https://example.org/x",
    "file:///etc/passwd",
    "%s%n%x",
    "{0}",
    "$(id)",
    "`id`",
    "null",
    "true",
    "1e309",
    "1e999999999",  # as an FTE: Fraction() made 10**999999999, for minutes
    "-1e-99_999_999",
    "nan",
    "-inf",
    "9" * 400,
    "0x10",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "SW",
    "kss-cf:1",
    "x" * 100,
)

#: Long strings (drawn by their length: a 70,000-character literal makes hypothesis slow).
LONG_TEXT: SearchStrategy[str] = st.tuples(
    st.sampled_from(["x", "\n", "[", "\u00e9", "\U0001f600"]), st.sampled_from([1000, 70_000])
).map(lambda t: t[0] * t[1])

HOSTILE_TEXT: SearchStrategy[str] = st.one_of(
    st.sampled_from(HOSTILE),
    LONG_TEXT,
    st.text(max_size=40),
    st.tuples(st.text(max_size=5), st.sampled_from(HOSTILE), st.text(max_size=5)).map("".join),
)


def one_in(n: int) -> SearchStrategy[bool]:
    """True about once in ``n`` draws (``integers(0, n - 1) == 0`` is far more often true:
    hypothesis favours the small and the boundary values)."""
    return st.sampled_from([False] * (n - 1) + [True])


def toml_string(value: str) -> str:
    """A TOML basic string (control characters escaped; a lone surrogate left raw)."""
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def encode(text: str) -> bytes:
    """Bytes of a text; a lone surrogate becomes the invalid UTF-8 a broken file holds."""
    return text.encode("utf-8", "surrogatepass")


# --- TOML from a grammar --------------------------------------------------------------------------

RECORD_KEYS = (
    "schema_version",
    "id",
    "name",
    "qualified",
    "service",
    "swe",
    "council",
    "enrolments",
    "stage",
    "start",
    "framework",
    "hours",
    "from",
    "fte",
    "absences",
    "kind",
    "first",
    "last",
    "evidence",
    "date",
    "standards",
    "by",
    "attachment",
    "ref",
    "sha256",
    "note",
    "milestones",
    "decisions",
    "outcome",
    "until",
    "corrects",
    "panel",
    "history",
    "at",
    "action",
    "detail",
    "item",
    "prev",
    "left",
    "reason",
    "extra",
)

BARE_KEY = st.one_of(
    st.sampled_from(RECORD_KEYS),
    st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=8),
)
KEY = st.one_of(
    BARE_KEY,
    HOSTILE_TEXT.map(toml_string),
    st.lists(BARE_KEY, min_size=2, max_size=4).map(".".join),
)

_DATES = st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))
SCALAR = st.one_of(
    st.integers(-(2**63), 2**63 - 1).map(str),
    st.integers().map(str),  # out of TOML's range too
    st.floats().map(repr),
    st.booleans().map(lambda b: str(b).lower()),
    HOSTILE_TEXT.map(toml_string),
    st.text(max_size=20).filter(lambda s: "'" not in s and "\n" not in s).map(lambda s: f"'{s}'"),
    st.text(max_size=40).map(lambda s: '"""' + s.replace('"', "") + '"""'),
    _DATES.map(dt.date.isoformat),
    st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=5))])).map(
        dt.datetime.isoformat
    ),
    st.datetimes().map(dt.datetime.isoformat),
    st.times().map(dt.time.isoformat),
    st.sampled_from(["RECORD_ID", "2026-13-01", "1e400", "0o7", "0b1", "+inf", "-nan", "1_000"]),
    st.integers(4000, 5000).map(lambda n: "9" * n),  # over Python's 4,300-digit int limit
)


def _containers(children: SearchStrategy[str]) -> SearchStrategy[str]:
    return st.one_of(
        st.lists(children, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(BARE_KEY, children), max_size=4).map(
            lambda pairs: "{" + ", ".join(f"{k} = {v}" for k, v in pairs) + "}"
        ),
    )


VALUE = st.recursive(SCALAR, _containers, max_leaves=12)

STATEMENT = st.one_of(
    st.tuples(KEY, VALUE).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    KEY.map(lambda k: f"[{k}]"),
    KEY.map(lambda k: f"[[{k}]]"),
    HOSTILE_TEXT.map(lambda t: "# " + t.replace("\n", " ")),
    st.just(""),
    HOSTILE_TEXT,  # garbage
)

TOML_TEXT = st.tuples(st.lists(STATEMENT, max_size=25), st.sampled_from(["\n", "\r\n"])).map(
    lambda t: t[1].join(t[0])
)


# --- mutations of a valid record --------------------------------------------------------------


@st.composite
def mutated_lines(draw: DrawFn) -> str:
    """A valid record's text, then one to four edits a person, a tool or an attacker might make."""
    lines = render(draw(RECORDS)).split("\n")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        line = lines[at]
        edit = draw(
            st.sampled_from(
                ["delete", "duplicate", "swap", "value", "hostile", "insert", "truncate", "header"]
            )
        )
        if edit == "delete":
            del lines[at]
        elif edit == "duplicate":
            lines.insert(at, line)
        elif edit == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif edit == "value" and " = " in line:
            lines[at] = line.partition(" = ")[0] + " = " + draw(VALUE)
        elif edit == "hostile" and " = " in line:
            lines[at] = line.partition(" = ")[0] + " = " + toml_string(draw(HOSTILE_TEXT))
        elif edit == "insert":
            where = draw(st.integers(0, len(line)))
            lines[at] = line[:where] + draw(HOSTILE_TEXT) + line[where:]
        elif edit == "truncate":
            lines[at] = line[: draw(st.integers(0, len(line)))]
            lines = lines[: at + 1]
        else:
            lines.insert(at, draw(KEY.map(lambda k: f"[[{k}]]")))
        if not lines:
            lines = [""]
    return "\n".join(lines)


TOML_VALUE: SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.integers(-(2**63), 2**63 - 1),
        st.floats(allow_nan=True),
        st.booleans(),
        HOSTILE_TEXT.filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s)),
        _DATES,
        st.datetimes(timezones=st.just(dt.UTC)),
        st.datetimes(),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(BARE_KEY, children, max_size=4),
    ),
    max_leaves=10,
)


def _mutate(draw: DrawFn, data: Any, depth: int = 0) -> Any:  # noqa: PLR0911
    """``data`` with one value somewhere replaced, removed, or given a new sibling."""
    deeper = depth == 0 or (depth < 6 and draw(one_in(4)) is False)  # leaves, mostly
    if isinstance(data, dict) and data and deeper:
        key = draw(st.sampled_from(sorted(data)))
        return {**data, key: _mutate(draw, data[key], depth + 1)}
    if isinstance(data, list) and data and deeper:
        at = draw(st.integers(0, len(data) - 1))
        return [*data[:at], _mutate(draw, data[at], depth + 1), *data[at + 1 :]]
    how = draw(st.sampled_from(["replace", "remove", "add"]))
    if how == "remove" and isinstance(data, dict) and data:
        key = draw(st.sampled_from(sorted(data)))
        return {k: v for k, v in data.items() if k != key}
    if how == "remove" and isinstance(data, list) and data:
        return data[1:]
    if how == "add" and isinstance(data, dict):
        return {**data, draw(BARE_KEY): draw(TOML_VALUE)}
    if how == "add" and isinstance(data, list):
        return [*data, draw(TOML_VALUE) if not data else data[0]]
    return draw(TOML_VALUE)


@st.composite
def mutated_fields(draw: DrawFn) -> str:
    """A valid record as data, with one to three values changed in type, removed or added."""
    data: Any = record_to_dict(draw(RECORDS))
    for _ in range(draw(st.integers(1, 3))):
        data = _mutate(draw, data)
    if not isinstance(data, dict):
        data = {"schema_version": data}
    return tomlkit.dumps(data)


# --- the record loader ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_USER", "fuzzer")
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)
    monkeypatch.delenv("ECF_MAX_FILE_BYTES", raising=False)


def load_everywhere(data: bytes, folder: Path) -> None:
    """Every way the library reads a record file: each returns, or raises an EcfError only."""
    with watchdog(10):
        try:
            record = parse_record(data, Path("fuzz.toml"))
        except EcfError:
            record = None
        file = folder / "r.toml"
        file.write_bytes(data)
        for read in (read_record, open_record):
            with contextlib.suppress(EcfError):
                read(file)
    if record is None:
        event("record refused")
        return
    check_attachments(record, folder)
    if check_record(record, REGISTRY, TODAY):
        event("record read, invalid")
        return
    event("record read, valid")
    with watchdog(10):  # what `ecf status` and `ecf timeline` compute from a valid record
        status(record, REGISTRY, TODAY)
        events(record, REGISTRY)


@fuzz("bytes")
@given(data=st.binary(max_size=2000))
def test_record_loader_random_bytes(data: bytes, workdir: Path) -> None:
    load_everywhere(data, workdir)


@fuzz("grammar")
@given(text=TOML_TEXT)
def test_record_loader_grammar(text: str, workdir: Path) -> None:
    load_everywhere(encode(text), workdir)


@fuzz("mutated-lines")
@given(text=mutated_lines())
def test_record_loader_mutated_lines(text: str, workdir: Path) -> None:
    load_everywhere(encode(text), workdir)


@fuzz("mutated-fields")
@given(text=mutated_fields())
def test_record_loader_mutated_fields(text: str, workdir: Path) -> None:
    load_everywhere(encode(text), workdir)


# --- the rule loader --------------------------------------------------------------------------

BASE_RULES: dict[str, Any] = tomli.loads(BASELINE_RULES.read_text(encoding="utf-8"))
RULE_FIELDS = (
    "id",
    "kind",
    "title",
    "stages",
    "services",
    "standards",
    "evidence",
    "min",
    "by",
    "after",
    "standard",
    "author",
    "sets",
    "periods",
    "every",
    "until",
    "at",
    "grace_days",
    "before_days",
    "rules",
)
#: Values the rules refer to, valid and not, so that random rules often pass the shape check.
RULE_VALUE: SearchStrategy[Any] = st.one_of(
    st.sampled_from(sorted(BUILTIN_KINDS)),
    st.sampled_from(sorted(FRAMEWORK.evidence_kind_ids())),
    st.sampled_from(["end", "review-6m", "final-review", "asye", "ecf-1", "children", "kss-cf:1"]),
    st.integers(-5, 5),
    st.integers(),
    st.lists(st.sampled_from(["direct-observation", "asye", "end", "review-3m", "x"]), max_size=3),
    st.lists(st.fixed_dictionaries({"every": st.integers(-3, 400), "until": st.integers(-3, 900)})),
    TOML_VALUE,
)
_MILESTONES = sorted({m.id for stage in FRAMEWORK.stages for m in stage.milestones} | {"end"})
#: Counts and days: mostly small and positive, sometimes zero, negative or huge.
_COUNTS = st.one_of(st.integers(1, 40), st.integers(1, 40), st.integers(-2, 0), st.integers())
_RULE_IDS = st.sampled_from(["r1", "r2", "r3"])
#: The fields of each kind, mostly valid (so that rules load and are evaluated), sometimes not.
_KIND_FIELDS: dict[str, dict[str, SearchStrategy[Any]]] = {
    "count": {
        "evidence": st.lists(st.sampled_from(sorted(FRAMEWORK.evidence_kind_ids())), max_size=3),
        "min": _COUNTS,
        "by": st.sampled_from(_MILESTONES),
        "after": st.sampled_from(_MILESTONES),
        "standard": st.sampled_from(sorted(FRAMEWORK.standard_ids())),
        "author": HOSTILE_TEXT,
    },
    "coverage": {
        "sets": st.lists(st.sampled_from([s.id for s in FRAMEWORK.standard_sets]), max_size=3),
        "min": _COUNTS,
        "by": st.sampled_from(_MILESTONES),
    },
    "frequency": {
        "evidence": st.lists(st.sampled_from(sorted(FRAMEWORK.evidence_kind_ids())), max_size=3),
        "periods": st.lists(
            st.dictionaries(
                st.sampled_from(["every", "every_months", "until", "until_months"]),
                _COUNTS,
                min_size=1,
                max_size=2,
            ),
            max_size=3,
        ),
        "by": st.sampled_from(_MILESTONES),
    },
    "presence": {
        "evidence": st.lists(st.sampled_from(sorted(FRAMEWORK.evidence_kind_ids())), max_size=3),
        "at": st.lists(st.sampled_from(_MILESTONES), max_size=3),
        "grace_days": _COUNTS,
        "before_days": _COUNTS,
    },
    "distinct-authors": {
        "evidence": st.lists(st.sampled_from(sorted(FRAMEWORK.evidence_kind_ids())), max_size=3),
        "min": _COUNTS,
        "by": st.sampled_from(_MILESTONES),
    },
    "all-of": {"rules": st.lists(_RULE_IDS, max_size=3)},
    "any-of": {"rules": st.lists(_RULE_IDS, max_size=3)},
}
_REQUIRED = frozenset({"evidence", "min", "sets", "periods", "at", "rules"})
_COMMON_FIELDS: dict[str, SearchStrategy[Any]] = {
    "title": HOSTILE_TEXT,
    "stages": st.lists(st.sampled_from(FRAMEWORK.stage_ids()), max_size=2),
    "services": st.lists(st.sampled_from(["children", "adults"]), max_size=2),
    "standards": st.lists(st.sampled_from(sorted(FRAMEWORK.standard_ids())), max_size=3),
}


@st.composite
def rule_tables(draw: DrawFn) -> dict[str, Any]:
    """One ``[[rules]]`` table of a known kind: its fields, a few left out or of another type."""
    kind = draw(st.sampled_from(sorted(_KIND_FIELDS)))
    fields = {**_KIND_FIELDS[kind], **_COMMON_FIELDS}
    table: dict[str, Any] = {"id": draw(_RULE_IDS), "kind": kind}
    for name, strategy in fields.items():
        if name not in _REQUIRED and draw(st.booleans()):
            continue
        table[name] = draw(RULE_VALUE) if draw(one_in(30)) else draw(strategy)
    return table


@st.composite
def rule_lists(draw: DrawFn) -> list[dict[str, Any]]:
    """Rules with distinct ids (``r1``...), so that a whole set often loads."""
    rules = draw(st.lists(RULE, max_size=4))
    for i, rule in enumerate(rules):
        if not draw(one_in(20)):
            rule["id"] = f"r{i + 1}"
    return rules


RANDOM_RULE = st.dictionaries(st.sampled_from(RULE_FIELDS) | BARE_KEY, RULE_VALUE, max_size=8)
RULE = one_in(10).flatmap(lambda random: RANDOM_RULE if random else rule_tables())
GENERATED_RULES = st.fixed_dictionaries(
    {"version": st.just("v1"), "framework": st.just(FRAMEWORK.version), "rules": rule_lists()},
    optional={"title": TOML_VALUE},
)
#: Rule files: generated rules (most), the baseline's own, or any table at all.
RULES_DATA = st.sampled_from(["generated"] * 6 + ["baseline"] * 2 + ["random"]).flatmap(
    lambda which: {
        "generated": GENERATED_RULES,
        "baseline": st.just(BASE_RULES).map(copy.deepcopy),
        "random": st.dictionaries(BARE_KEY, TOML_VALUE, max_size=5),
    }[which]
)


@st.composite
def rules_data(draw: DrawFn) -> dict[str, Any]:
    data: Any = draw(RULES_DATA)
    if draw(one_in(4)):
        data = _mutate(draw, data)
    return data if isinstance(data, dict) else {"rules": data}


def check_rules(data: dict[str, Any], record: Record | None) -> None:
    """Load the rules; when they load, they also evaluate without error on a valid record."""
    try:
        rules = load_rules_data(data, FRAMEWORK, file="fuzz.toml")
    except EcfError:
        event("rules refused")
        return
    event(f"rules loaded: {', '.join(sorted({r.kind for r in rules.rules}))}")
    if record is None:
        return
    with watchdog(10):
        evaluate(rules, context_for(record, REGISTRY, TODAY))


@contextlib.contextmanager
def watchdog(seconds: int) -> Iterator[None]:
    """Turn a hang (an endless loop) into a failure: hypothesis' deadline waits for the end."""

    def expired(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s: an endless loop?")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@fuzz("rules-data")
@given(data=rules_data(), record=st.none() | RECORDS)
def test_rule_loader_random_data(data: dict[str, Any], record: Record | None) -> None:
    check_rules(data, record)


@fuzz("rules-file")
@given(text=st.one_of(TOML_TEXT, rules_data().map(tomlkit.dumps)))
def test_rule_loader_random_files(text: str, workdir: Path) -> None:
    file = workdir / "rules.toml"
    file.write_bytes(encode(text))
    with contextlib.suppress(EcfError):
        load_rules(file, FRAMEWORK)


# --- the command line -------------------------------------------------------------------------


def fresh_folder(workdir: Path) -> Path:
    """A new, empty folder for one example (hypothesis runs many in one test)."""
    return Path(tempfile.mkdtemp(dir=workdir))


def invoke(args: list[str]) -> Result:
    with watchdog(30):
        return CliRunner().invoke(main, args)


def assert_handled(result: Result, *, many: bool = False) -> None:
    """Exit 0 or 2 (1 for a command over many files), by SystemExit, with no traceback."""
    allowed = {0, 1, 2} if many else {0, 2}
    assert result.exit_code in allowed, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    assert "internal error" not in result.output


#: A command-line argument never holds a NUL (the C strings of ``execve`` end at one), nor a
#: surrogate but those that stand for bytes that are not UTF-8 (U+DC80 to U+DCFF); click checks a
#: path argument with ``os.stat``, which raises on both: none in paths.
def argv_can_hold(text: str) -> bool:
    """Whether a real command line could pass ``text`` (``os.fsencode`` as Python reads argv)."""
    try:
        return b"\x00" not in os.fsencode(text)
    except UnicodeEncodeError:
        return False


PATH_TEXT = HOSTILE_TEXT.filter(argv_can_hold)


def mostly(valid: SearchStrategy[str]) -> SearchStrategy[str]:
    """Two times in three a valid value (so that a command gets as far as writing), else hostile."""
    return st.one_of(valid, valid, HOSTILE_TEXT)


#: Dates a record accepts (recent, not in the future), often; any date, or hostile text.
DATE_TEXT = st.one_of(
    st.dates(TODAY - dt.timedelta(days=400), TODAY).map(dt.date.isoformat),
    st.dates(TODAY - dt.timedelta(days=400), TODAY).map(dt.date.isoformat),
    _DATES.map(dt.date.isoformat),
    HOSTILE_TEXT,
)


@st.composite
def attach_paths(draw: DrawFn, folder: Path) -> str:
    """An attachment: a file in the folder, outside it, through a link, missing or hostile."""
    how = draw(st.sampled_from(["inside", "nested", "outside", "link-out", "missing", "hostile"]))
    if how == "inside":
        path = folder / "doc.pdf"
        path.write_bytes(b"%PDF")
    elif how == "nested":
        (folder / "docs").mkdir(exist_ok=True)
        path = folder / "docs" / ".." / "docs" / "n.pdf"
        path.write_bytes(b"%PDF nested")
    elif how == "outside":
        path = folder.parent / f"outside-{folder.name}.pdf"
        path.write_bytes(b"secret")
    elif how == "link-out":
        target = folder.parent / f"target-{folder.name}.pdf"
        target.write_bytes(b"secret")
        path = folder / "link.pdf"
        path.symlink_to(target)
    elif how == "missing":
        path = folder / "missing.pdf"
    else:
        return draw(PATH_TEXT)
    return str(path)


@st.composite
def read_commands(draw: DrawFn, file: Path) -> list[str]:
    command = draw(st.sampled_from(["validate", "status", "timeline"]))
    args = [command, str(file)]
    if command == "validate" and draw(st.booleans()):
        args.append("--attachments")
    if command == "validate" and draw(st.booleans()):
        args.append(draw(PATH_TEXT | st.just(str(file.parent))))
    if command == "status" and draw(st.booleans()):
        args += ["--as-of", draw(DATE_TEXT)]
    if command in ("status", "timeline") and draw(st.booleans()):
        args.append("--json")
    return args


@st.composite
def write_commands(draw: DrawFn, file: Path) -> list[str]:
    command = draw(
        st.sampled_from(
            ["evidence", "evidence", "evidence", "hours", "absence", "review", "decide", "leave"]
        )
    )
    text = HOSTILE_TEXT
    kinds = st.sampled_from(sorted(FRAMEWORK.evidence_kind_ids()))
    if command == "evidence":
        args = ["add", "evidence", str(file), "--kind", draw(mostly(kinds))]
        args += ["--date", draw(DATE_TEXT)]
        for standard in draw(st.lists(mostly(st.just("kss-cf:1")), max_size=3)):
            args += ["--standard", standard]
        for option in ("--by", "--note"):
            if draw(st.booleans()):
                args += [option, draw(text)]
        if draw(st.booleans()):
            args += ["--attach", draw(attach_paths(file.parent))]
        return args
    if command == "hours":
        fte = mostly(st.sampled_from(["0.6", "3/5", "1", "1e-1", "1e999999999"]))
        return ["add", "hours", str(file), "--from", draw(DATE_TEXT), "--fte", draw(fte)]
    if command == "absence":
        kind = mostly(st.sampled_from(sorted(k.id for k in FRAMEWORK.absence_kinds)))
        return [
            *("add", "absence", str(file), "--kind", draw(kind)),
            *("--from", draw(DATE_TEXT), "--to", draw(DATE_TEXT)),
        ]
    if command == "review":
        milestone = mostly(st.sampled_from(["agreement", "review-3m", "review-6m"]))
        return ["add", "review", str(file), draw(milestone), "--date", draw(DATE_TEXT)]
    if command == "decide":
        outcome = st.sampled_from(["pass", "fail", "extended", "deferred", "withdrawn"])
        args = ["decide", str(file), "--outcome", draw(outcome)]
        args += ["--date", draw(DATE_TEXT), "--by", draw(text)]
        if draw(st.booleans()):
            args += ["--panel", draw(text)]
        if draw(st.booleans()):
            args += ["--until", draw(DATE_TEXT)]
        return args
    return ["leave", str(file), "--date", draw(DATE_TEXT), "--reason", draw(text)]


@fuzz("cli-read")
@given(data=st.data(), record=RECORDS)
def test_cli_read_commands_with_hostile_options(
    data: st.DataObject, record: Record, workdir: Path
) -> None:
    folder = fresh_folder(workdir)
    try:
        file = folder / "r.toml"
        file.write_text(render(record), encoding="utf-8")
        before = file.read_bytes()
        args = data.draw(read_commands(file))
        result = invoke(args)
        event(f"{args[0]}: exit {result.exit_code}")
        assert_handled(result, many=args[0] == "validate")
        assert file.read_bytes() == before
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@fuzz("cli-write")
@given(data=st.data(), record=RECORDS)
def test_cli_write_commands_with_hostile_options(
    data: st.DataObject, record: Record, workdir: Path
) -> None:
    folder = fresh_folder(workdir)
    try:
        file = folder / "r.toml"
        file.write_text(render(record), encoding="utf-8")
        before = file.read_bytes()
        args = data.draw(write_commands(file))
        result = invoke(args)
        name = " ".join(args[:2]) if args[0] == "add" else args[0]
        event(f"{name}: exit {result.exit_code}")
        if result.exit_code:
            first = result.output.split("\n")[0]
            event("why: " + re.sub(r"/\S+|\(got .*|\d{4}-\d\d-\d\d|\[\d+\]", "", first)[:60])
        assert_handled(result)
        if result.exit_code != 0:
            assert file.read_bytes() == before, args
        else:  # a change that succeeded leaves a valid record that reads back
            changed = read_record(file)
            assert check_record(changed, REGISTRY, TODAY) == []
            added = attrs.evolve(changed, evidence=changed.evidence[len(record.evidence) :])
            assert check_attachments(added, folder) == []
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- what the fuzzer found, kept as examples ----------------------------------------------------

_EVERY = {"kind": "frequency", "evidence": ["supervision"]}
_AT_END = {"kind": "presence", "evidence": ["supervision"], "at": ["end"]}


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ({**_EVERY, "periods": [{"every": -1}]}, "periods[0].every"),  # looped without end
        ({**_EVERY, "periods": [{"every": 0}]}, "periods[0].every"),  # was silently ignored
        ({**_EVERY, "periods": [{"every_months": -1}]}, "periods[0].every_months"),  # year 0
        ({**_EVERY, "periods": [{"every": 10**12}]}, "periods[0].every"),  # OverflowError
        ({**_EVERY, "periods": [{"every": 3, "until_months": 10**12}]}, "periods[0].until_months"),
        ({**_AT_END, "grace_days": 10**12}, "grace_days"),  # OverflowError
        ({**_AT_END, "before_days": 10**8}, "before_days"),  # date out of range
        ({**_AT_END, "grace_days": -1}, "grace_days"),
    ],
)
def test_rule_values_that_broke_evaluation_are_refused_by_the_loader(
    rule: dict[str, Any], path: str
) -> None:
    data = {"version": "v", "framework": FRAMEWORK.version, "rules": [{"id": "r", **rule}]}
    with pytest.raises(RuleError) as caught:
        load_rules_data(data, FRAMEWORK)
    assert [p.path for p in caught.value.problems] == [f"rules[0].{path}"]


def test_the_long_run_tries_over_100_000_cases() -> None:
    assert sum(LONG_EXAMPLES.values()) >= 100_000
