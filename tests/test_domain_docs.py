"""The project's own docs (issue 10, item 9): the domain and the baseline rules, in the repository.

``docs/domain.md`` holds the facts with their sources, ``docs/rules.md`` every baseline rule and
how a council tunes it.  These checks read the sources of truth (the shipped rule set, the
framework data, the council settings, the timeline engine) and fail when the pages fall behind
them, or when anything points outside the repository.
"""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pytest

from ecf.council import CouncilSettings
from ecf.framework import FrameworkRegistry
from ecf.records import Absence, PatternChange
from ecf.rules import load_rules
from ecf.timeline import stage_timeline

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DOMAIN = (DOCS / "domain.md").read_text(encoding="utf-8")
RULES_PAGE = (DOCS / "rules.md").read_text(encoding="utf-8")
REGISTRY = FrameworkRegistry.default()
BASELINE = REGISTRY.get("baseline-2026")
RULES = load_rules(ROOT / "src" / "ecf" / "data" / "rules" / "baseline-2026.toml", BASELINE)


def pointing_files() -> list[Path]:
    """The README, the docs, and every data, example and plugin file people read comments in."""
    found = [ROOT / "README.md", *DOCS.glob("*.md")]
    for folder in ("src/ecf/data", "examples/councils", "plugins"):
        found.extend(p for p in (ROOT / folder).rglob("*") if p.suffix in (".toml", ".md", ".py"))
    return sorted(found)


@pytest.mark.parametrize("path", pointing_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_points_outside_the_repository(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "../shared" not in text
    assert "shared/domain" not in text


def _links(text: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", text)


def _anchors(text: str) -> set[str]:
    out = set()
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            out.add(re.sub(r"[^a-z0-9 _-]", "", title).replace(" ", "-"))
    return out


@pytest.mark.parametrize(
    "page", [ROOT / "README.md", *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name
)
def test_every_relative_link_resolves(page: Path) -> None:
    for link in _links(page.read_text(encoding="utf-8")):
        if link.startswith(("http://", "https://", "mailto:")):
            continue
        target, _, anchor = link.partition("#")
        file = (page.parent / target).resolve() if target else page
        assert file.is_file(), f"{page.name}: link to a missing file: {link}"
        if anchor and file.suffix == ".md":
            assert anchor in _anchors(file.read_text(encoding="utf-8")), (
                f"{page.name}: link to a missing heading: {link}"
            )


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.id)
def test_every_baseline_rule_is_on_the_rules_page(rule: Any) -> None:
    rid = rule.id
    kind = type(rule).kind
    category = rule.category
    row = next((line for line in RULES_PAGE.splitlines() if line.startswith(f"| `{rid}` |")), "")
    assert row, f"docs/rules.md: no row for {rid}"
    assert f"| `{kind}` |" in row
    assert (f"| **{category}** |" if category == "support" else f"| {category} |") in row
    sections = [line for line in RULES_PAGE.splitlines() if line.startswith("### ")]
    assert any(f"`{rid}`" in s for s in sections), f"docs/rules.md: no section for {rid}"


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.id)
def test_every_parameter_a_baseline_rule_sets_is_documented(rule: Any) -> None:
    rid = rule.id
    defaults = {a.name: a.default for a in attrs.fields(type(rule))}
    common = {"id", "title", "stages", "services", "category"}
    named = [
        name
        for name, default in defaults.items()
        if name not in common and getattr(rule, name) != default
    ]
    at = RULES_PAGE.index(
        next(s for s in RULES_PAGE.splitlines() if s.startswith("### ") and rid in s)
    )
    section = RULES_PAGE[at : RULES_PAGE.find("\n### ", at + 1)]
    missing = [n for n in named if f"`{n}`" not in section]
    assert not missing, f"docs/rules.md, {rid}: parameters not documented: {missing}"


def test_the_rule_set_version_is_the_one_documented() -> None:
    assert f"rule set\n`{RULES.version}`" in RULES_PAGE or f"`{RULES.version}`" in RULES_PAGE


@pytest.mark.parametrize("field", [f.name for f in attrs.fields(CouncilSettings)])
def test_every_council_setting_is_documented(field: str) -> None:
    assert f"| `{field}` |" in RULES_PAGE


def test_every_stage_and_absence_kind_of_the_baseline_is_in_the_domain_page() -> None:
    for stage in BASELINE.stage_ids():
        assert f"`{stage}`" in DOMAIN, stage
        for milestone in BASELINE.stage(stage).milestones:  # type: ignore[union-attr]
            assert f"`{milestone.id}`" in DOMAIN, milestone.id
    for kind in BASELINE.absence_kinds:
        assert f"`{kind.id}`" in DOMAIN, kind.id
    for evidence in BASELINE.evidence_kinds:
        assert f"`{evidence.id}`" in DOMAIN, evidence.id


def test_the_fact_sheet_keeps_the_section_numbers_the_data_cites() -> None:
    data = (ROOT / "src" / "ecf" / "data" / "frameworks" / "baseline-2026.toml").read_text(
        encoding="utf-8"
    )
    cited = {int(n) for n in re.findall(r"FACTS\.md (\d)", data)}
    for number in cited:
        assert re.search(rf"^### {number}\. ", DOMAIN, re.MULTILINE), number


D = dt.date
S = D(2025, 9, 1)
HALF = (PatternChange(S, Fraction(1, 2)),)
SICK = (Absence("sickness", D(2025, 10, 1), D(2025, 11, 11)),)


@pytest.mark.parametrize(
    ("row", "hours", "absences", "milestone"),
    [
        ("| 2025-09-01 | full time | `review-3m` | {} |", (), (), "review-3m"),
        ("| 2025-09-01 | full time | `final-review` | {} |", (), (), "final-review"),
        ("| 2025-09-01 | 0.5 FTE | `review-3m` | {} (182 days) |", HALF, (), "review-3m"),
        ("| 2025-09-01 | 0.5 FTE | `final-review` | {} |", HALF, (), "final-review"),
        (
            (
                "| 2025-09-01 | full time, sickness 2025-10-01 to 2025-11-11 (42 days) | "
                "`review-3m` | {} |"
            ),
            (),
            SICK,
            "review-3m",
        ),
    ],
)
def test_the_worked_examples_are_the_engines(
    row: str,
    hours: tuple[PatternChange, ...],
    absences: tuple[Absence, ...],
    milestone: str,
) -> None:
    stage = BASELINE.stage("asye")
    assert stage is not None
    tl = stage_timeline(stage, S, BASELINE, hours=hours, absences=absences)
    due = next(m.due for m in tl.milestones if m.id == milestone)
    assert row.format(due) in DOMAIN
