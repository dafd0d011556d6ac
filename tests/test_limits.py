"""Limits on the files ecf reads (ecf.limits), and where an attachment may point.

A hostile or broken file is refused before parsing, with the loader's own error naming the file
and the limit (exit 2 in the CLI); a real file is never refused.  An attachment stays inside the
record's folder or is a URL.
"""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner, Result

from ecf import attachments, limits
from ecf.attachments import check_attachments
from ecf.cli import main
from ecf.council import CouncilError, load_council
from ecf.errors import EcfError, FrameworkError, RecordError
from ecf.framework import FrameworkRegistry
from ecf.records import Attachment, Evidence
from ecf.rules import RuleError, load_rules
from ecf.store import open_record, parse_record, read_record, save

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").rglob("*.toml"))
SHIPPED = sorted((ROOT / "src" / "ecf" / "data").rglob("*.toml"))
MiB = 1024 * 1024


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECF_USER", "tester")
    monkeypatch.delenv("ECF_FRAMEWORK_PATH", raising=False)
    monkeypatch.delenv(limits.MAX_FILE_BYTES_ENV, raising=False)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def refused(result: Result, *expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output, f"{text!r} not in {result.output!r}"


@pytest.fixture
def rec(tmp_path: Path) -> Path:
    """A valid record, made by ``ecf new`` (so it follows the current schema)."""
    file = tmp_path / "r.toml"
    result = run(
        "new", file, "--id", "r1", "--name", "Alex", "--qualified", "2025-06-01", "--stage",
        "asye", "--start", "2025-09-01",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return file


def parse(text: str) -> None:
    limits.parse_toml(text, "f.toml", RecordError)


# --- size ---------------------------------------------------------------------------------------


def test_max_file_bytes_default_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limits.max_file_bytes() == 2 * MiB
    monkeypatch.setenv(limits.MAX_FILE_BYTES_ENV, "1000")
    assert limits.max_file_bytes() == 1000
    monkeypatch.setenv(limits.MAX_FILE_BYTES_ENV, "")
    assert limits.max_file_bytes() == 2 * MiB  # set but empty: as if unset
    for bad in ("lots", "-5", "0", "1.5", "nan", "9" * 30):
        monkeypatch.setenv(limits.MAX_FILE_BYTES_ENV, bad)
        with pytest.raises(EcfError, match=r"^\$ECF_MAX_FILE_BYTES: expected a whole number"):
            limits.max_file_bytes()


def test_a_file_over_the_limit_is_refused_naming_file_and_limit(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = rec.stat().st_size
    monkeypatch.setenv(limits.MAX_FILE_BYTES_ENV, str(size - 1))
    with pytest.raises(RecordError) as caught:
        read_record(rec)
    assert str(caught.value) == (
        f"{rec}: too large: {size:,} bytes or more, the limit is {size - 1:,} "
        "($ECF_MAX_FILE_BYTES changes it)"
    )
    with pytest.raises(RecordError, match="too large"):
        open_record(rec)
    with pytest.raises(RecordError, match="too large"):
        parse_record(rec.read_bytes(), rec)
    monkeypatch.setenv(limits.MAX_FILE_BYTES_ENV, str(size))
    assert read_record(rec).id == "r1"


def test_a_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as fh:
        fh.truncate(8 * 1024 * MiB)  # 8 GiB, sparse: no disk used
    tracemalloc.start()
    try:
        with pytest.raises(RecordError, match="too large: 8,589,934,592 bytes"):
            read_record(huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MiB


def test_a_device_that_never_ends_is_not_read_at_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(limits.MAX_FILE_BYTES_ENV, "1000")
    zero = Path("/dev/zero")
    if not zero.exists():  # pragma: no cover - not POSIX
        pytest.skip("no /dev/zero")
    with pytest.raises(RecordError, match="is a character device, not a record file"):
        read_record(zero)


def test_a_file_name_with_a_nul_is_an_error_not_a_crash() -> None:
    with pytest.raises(RecordError, match="NUL"):
        read_record(Path("a\x00b.toml"))


def test_the_cli_refuses_an_oversized_record_with_exit_2(
    rec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(limits.MAX_FILE_BYTES_ENV, "100")
    for args in (("validate", rec), ("status", rec), ("timeline", rec)):
        refused(run(*args), f"error: {rec}: too large:", "the limit is 100")
    before = rec.read_bytes()
    refused(run("add", "hours", rec, "--from", "2025-10-01", "--fte", "0.5"), "too large")
    assert rec.read_bytes() == before


# --- shape --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a = " + "[" * 33 + "]" * 33, "line 1: arrays or inline tables nested more than 32"),
        ("a = [\n" + "[\n" * 40, "line 33: arrays or inline tables nested more than 32"),
        ("a = " + "{b = " * 33 + "1" + "}" * 33, "nested more than 32 levels deep"),
        ("a = " + "[\n" * 100_000, "nested more than 32 levels deep"),  # tomli: RecursionError
        ("[" + ".".join("k" * 40) + "]\n", "a table header has more than 32 dotted parts"),
        ("[[" + ".".join("k" * 40) + "]]\n", "a table header has more than 32 dotted parts"),
        ('a = "' + "x" * 70_000 + '"', "line 1 is longer than 65,536 characters (70,006)"),
        ("\n\nk = 1 " + "#" * 70_000, "line 3 is longer than 65,536 characters"),
        ("a = '''" + "x\n" * 40_000 + "'''", "a: a string longer than 65,536 characters (80,000)"),
        ("[[evidence]]\n" * 10_001, "more than 10,000 [[evidence]] tables (10,001)"),
        ("a = [\n" + "1,\n" * 10_001 + "]", "a: more than 10,000 entries (10,001)"),
        ("a = [\n" + "{},\n" * 100_001 + "]", "more than 100,000 tables and arrays (100,002)"),
        (".".join("k" * 40) + " = 1", "k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k"),
        # Found by review: tomli raised ValueError (Python's 4,300-digit limit), not a refusal.
        ("a = " + "9" * 5000, "not valid TOML: Exceeds the limit (4300 digits)"),
    ],
    ids=[
        "deep-arrays",
        "deep-arrays-over-lines",
        "deep-inline-tables",
        "tomli-recursion",
        "header-parts",
        "array-of-tables-header-parts",
        "long-line",
        "long-comment",
        "long-multi-line-string",
        "many-tables",
        "many-entries",
        "many-containers",
        "deep-dotted-key",
        "huge-integer",
    ],
)
def test_hostile_shapes_are_refused_before_they_cost(text: str, message: str) -> None:
    with pytest.raises(RecordError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert str(caught.value).startswith("f.toml: ")


def test_a_recursion_error_of_the_parser_is_a_record_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Were the scan to miss some deep nesting, tomli's own limit would still end as a refusal.
    monkeypatch.setattr(limits, "check_text", lambda *_: None)
    with pytest.raises(RecordError, match="not valid TOML: nested more than 32 levels deep"):
        parse("a = " + "[" * 1000)


@pytest.mark.parametrize(
    "text",
    [
        'note = "' + "[" * 100 + '"',
        "note = '" + "{[" * 100 + "'",
        'note = """\n' + "[\n" * 100 + '"""',
        "note = '''\n" + "[[x]]\n" * 100 + "'''",
        "# " + "[" * 100,
        'note = "\\"' + "[" * 100 + '"',
        'note = """a\\"""' + "[" * 100 + '"""',
        '["' + ".".join("k" * 40) + '"]\nx = 1',
        "a = [\n" + ("  [" + ", ".join(["1.5"] * 40) + "],\n") * 3 + "]",
        "a = " + "[" * 31 + "]" * 31,
        "[" + ".".join("k" * 31) + "]\nx = 1",
    ],
    ids=[
        "brackets-in-a-string",
        "brackets-in-a-literal-string",
        "brackets-in-a-multi-line-string",
        "headers-in-a-multi-line-literal-string",
        "brackets-in-a-comment",
        "an-escaped-quote",
        "an-escaped-quote-in-a-multi-line-string",
        "dots-in-a-quoted-key",
        "floats-on-lines-of-an-array",
        "31-levels",
        "32-parts",
    ],
)
def test_real_shapes_near_the_limits_are_read(text: str) -> None:
    parse(text)


@pytest.mark.parametrize("path", [*EXAMPLES, *SHIPPED], ids=lambda p: p.name)
def test_every_shipped_and_example_file_is_within_the_limits(path: Path) -> None:
    limits.load_toml(path, RecordError)


def test_an_fte_with_a_huge_exponent_is_refused_at_once(rec: Path) -> None:
    # Found by review: Fraction("1e999999999") computes 10**999999999 (minutes, gigabytes), so
    # a record file of 120 bytes held `ecf validate` for ever.  Now a bad value, read at once.
    text = rec.read_text(encoding="utf-8") + '\n[[hours]]\nfrom = 2025-09-01\nfte = "1e999999999"\n'
    with pytest.raises(RecordError, match=r"hours\[0\]\.fte: expected a number or a fraction"):
        parse_record(text.encode(), rec)
    before = rec.read_bytes()
    result = run("add", "hours", rec, "--from", "2025-10-01", "--fte", "-1e-99_999_999")
    assert result.exit_code == 2, result.output
    assert "invalid FTE '-1e-99_999_999'" in result.output
    assert rec.read_bytes() == before


# --- the other loaders --------------------------------------------------------------------------


def test_every_loader_refuses_with_its_own_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "x.toml"
    file.write_text('version = "v"\n' + "a = " + "[" * 40 + "]" * 40 + "\n", encoding="utf-8")
    registry = FrameworkRegistry.default()
    framework = registry.get()
    with pytest.raises(RuleError, match=f"{file}: line 2: arrays or inline tables nested"):
        load_rules(file, framework)
    with pytest.raises(CouncilError, match="nested more than 32"):
        load_council(file)
    with pytest.raises(FrameworkError, match="nested more than 32"):
        registry.add_file(file)
    monkeypatch.setenv(limits.MAX_FILE_BYTES_ENV, "10")
    with pytest.raises(RuleError, match="too large"):
        load_rules(file, framework)


def test_a_framework_file_that_is_not_utf8_is_a_framework_error(tmp_path: Path) -> None:
    # Found by review of the loaders: tomli.load() raised UnicodeDecodeError (exit 3).
    file = tmp_path / "fw.toml"
    file.write_bytes(b'version = "x\xff"\n')
    with pytest.raises(FrameworkError, match="not valid TOML"):
        FrameworkRegistry.default().add_file(file)
    refused(run("--framework", file, "frameworks"), f"error: {file}: not valid TOML")


# --- writing ------------------------------------------------------------------------------------


def test_a_value_that_would_make_the_file_unreadable_is_not_written(rec: Path) -> None:
    before = rec.read_bytes()
    result = run(
        "add", "evidence", rec, "--kind", "supervision", "--date", "2025-10-01",
        "--note", "x" * 70_000,
    )  # fmt: skip
    refused(result, f"error: {rec}: not written, ecf could not read it back: line ")
    assert "longer than 65,536 characters" in result.output
    assert rec.read_bytes() == before


@pytest.mark.parametrize("option", ["--note", "--by"])
def test_an_argument_that_is_not_utf8_is_refused_not_a_crash(rec: Path, option: str) -> None:
    # Found by the fuzzer: Python reads a non-UTF-8 argument as a lone surrogate, and encoding
    # the file raised UnicodeEncodeError (exit 3).
    before = rec.read_bytes()
    result = run(
        "add", "evidence", rec, "--kind", "supervision", "--date", "2025-10-01", option, "a\udcff"
    )
    field = option.removeprefix("--")
    refused(result, f"error: {rec}: evidence[0].{field}: not written: not Unicode text")
    assert rec.read_bytes() == before


def test_a_new_record_with_a_name_that_is_not_utf8_is_not_created(tmp_path: Path) -> None:
    file = tmp_path / "n.toml"
    result = run(
        "new", file, "--id", "n1", "--name", "\ud800", "--qualified", "2025-06-01", "--stage",
        "asye", "--start", "2025-09-01",
    )  # fmt: skip
    refused(result, "name: not written: not Unicode text")
    assert not file.exists()


def test_save_refuses_more_entries_than_it_could_read_back(rec: Path) -> None:
    opened = open_record(rec)
    item = Evidence("ev", "supervision", opened.record.enrolments[0].start)
    evidence = tuple(attrs.evolve(item, id=f"ev-{i}") for i in range(10_001))
    before = rec.read_bytes()
    with pytest.raises(RecordError, match=r"more than 10,000 \[\[evidence\]\] tables"):
        save(opened, attrs.evolve(opened.record, evidence=evidence))
    assert rec.read_bytes() == before


# --- attachments --------------------------------------------------------------------------------


def test_attachment_file_inside_the_folder(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    root = tmp_path.resolve()
    assert attachments.attachment_file("docs/a.pdf", tmp_path) == root / "docs" / "a.pdf"
    assert attachments.attachment_file("docs/../b.pdf", tmp_path) == root / "b.pdf"
    assert attachments.attachment_file("https://example.org/a", tmp_path) is None
    assert attachments.attachment_file("HTTP://example.org/a", tmp_path) is None


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("", "an attachment needs a file or a URL"),
        ("a\x00b", "NUL"),
        ("/etc/passwd", "not an absolute one"),
        ("\\\\server\\share", "not an absolute one"),
        ("C:\\Windows\\win.ini", "not an absolute one"),
        ("../secret.pdf", "outside the record's folder"),
        ("docs/../../secret.pdf", "outside the record's folder"),
        ("file:///etc/passwd", "only https:// and http:// URLs"),
        ("ftp://example.org/x", "only https:// and http:// URLs"),
        ("link/secret.pdf", "outside the record's folder"),
        ("loop/x.pdf", "cannot resolve"),
    ],
)
def test_attachment_file_refuses_what_leads_out(tmp_path: Path, ref: str, message: str) -> None:
    folder = tmp_path / "records"
    (folder / "docs").mkdir(parents=True)
    (folder / "link").symlink_to(tmp_path)
    (folder / "loop").symlink_to(folder / "loop")
    with pytest.raises(RecordError, match=message):
        attachments.attachment_file(ref, folder)


def _attached(rec: Path, attach: Path) -> Result:
    return run(
        "add", "evidence", rec, "--kind", "supervision", "--date", "2025-10-01", "--attach", attach
    )


def test_add_evidence_attach_refuses_a_link_out_of_the_folder(rec: Path, tmp_path: Path) -> None:
    folder = rec.parent / "records"
    folder.mkdir()
    inner = folder / "r.toml"
    inner.write_bytes(rec.read_bytes())
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"secret")
    (folder / "doc.pdf").symlink_to(secret)
    before = inner.read_bytes()
    refused(_attached(inner, folder / "doc.pdf"), "is outside the record's folder")
    assert inner.read_bytes() == before


def test_add_evidence_attach_refuses_a_fifo(rec: Path) -> None:
    fifo = rec.parent / "pipe"
    os.mkfifo(fifo)
    before = rec.read_bytes()
    refused(_attached(rec, fifo), "is a named pipe (FIFO), not a file")
    assert rec.read_bytes() == before


def test_validate_attachments(rec: Path) -> None:
    doc = rec.parent / "docs" / "obs.pdf"
    doc.parent.mkdir()
    doc.write_bytes(b"%PDF observation")
    assert _attached(rec, doc).output == "ev-001\n"
    url = ("https://docs.example.org/1", "0" * 64)
    opened = open_record(rec)
    web = attrs.evolve(opened.record.evidence[0], id="ev-002", attachment=Attachment(*url))
    save(opened, attrs.evolve(opened.record, evidence=(*opened.record.evidence, web)))

    result = run("validate", "--attachments", rec)
    assert result.exit_code == 0, result.output
    assert result.output == f"{rec}: ok (r1; 1 attached files checked, 1 URLs not checked)\n"

    doc.write_bytes(b"%PDF changed")
    result = run("validate", "--attachments", rec)
    actual = hashlib.sha256(b"%PDF changed").hexdigest()
    refused(
        result,
        f"error: {rec}: evidence[0].attachment.sha256: the file changed since it was attached: "
        f"its sha256 is now {actual}",
        "1 of 1 files invalid",
    )
    assert run("validate", rec).exit_code == 0  # without the flag, attachments are not read

    doc.unlink()
    refused(
        run("validate", "--attachments", rec),
        f"error: {rec}: evidence[0].attachment.ref: no such file in the record's folder",
    )


def test_check_attachments_reports_each_bad_reference(rec: Path) -> None:
    (rec.parent / "folder.pdf").mkdir()
    record = read_record(rec)
    base = Evidence("ev", "supervision", record.enrolments[0].start)
    refs = ["../x.pdf", "/etc/passwd", "folder.pdf", "https://example.org/ok", "ok.pdf"]
    (rec.parent / "ok.pdf").write_bytes(b"ok")
    digest = hashlib.sha256(b"ok").hexdigest()
    evidence = tuple(
        attrs.evolve(base, id=f"ev-{i}", attachment=Attachment(ref, digest))
        for i, ref in enumerate(refs)
    )
    problems = check_attachments(attrs.evolve(record, evidence=evidence), rec.parent)
    assert [(p.path, p.message.split(" (")[0], p.value) for p in problems] == [
        ("evidence[0].attachment.ref", "is outside the record's folder", "../x.pdf"),
        (
            "evidence[1].attachment.ref",
            "must be a path relative to the record's folder, not an absolute one",
            "/etc/passwd",
        ),
        ("evidence[2].attachment.ref", "not a regular file in the record's folder", "folder.pdf"),
    ]
