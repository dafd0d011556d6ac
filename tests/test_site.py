"""The docs site: every page in mkdocs.yml's nav exists, the root files are included, not
copied, and the conventions page documents what the CLI does.  (`mkdocs build --strict` itself
runs in .ci/run, with the `docs` extra.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomli

from ecf.cli import NO_COLOR_ENV
from ecf.project import COUNCIL_ENV, PROJECT_FILE

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CONFIG = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


def nav_pages() -> list[str]:
    nav = CONFIG[CONFIG.index("\nnav:") : CONFIG.index("\nmarkdown_extensions:")]
    return re.findall(r":\s*(\S+\.md)\s*$", nav, re.MULTILINE)


def test_every_nav_page_exists_and_every_page_is_in_the_nav() -> None:
    pages = nav_pages()
    assert len(pages) == len(set(pages))
    for page in pages:
        assert (DOCS / page).is_file(), page
    on_disk = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert on_disk == set(pages)


@pytest.mark.parametrize(("page", "root_file"), [("security.md", "SECURITY.md"),
                                                  ("changelog.md", "CHANGELOG.md")])  # fmt: skip
def test_the_root_files_are_included_not_copied(page: str, root_file: str) -> None:
    assert (DOCS / page).read_text(encoding="utf-8").strip() == f'--8<-- "{root_file}"'
    assert (ROOT / root_file).is_file()


def test_the_reference_pages_are_generated() -> None:
    cli = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    assert "::: mkdocs-click" in cli
    assert ":module: ecf.cli" in cli
    assert ":command: main" in cli
    api = (DOCS / "reference" / "api.md").read_text(encoding="utf-8")
    assert "::: ecf.editor" in api
    assert "mkdocstrings" in CONFIG
    assert "strict: true" in CONFIG


def test_the_conventions_page_documents_the_cli_s_conventions() -> None:
    text = (DOCS / "conventions.md").read_text(encoding="utf-8")
    for needed in (NO_COLOR_ENV, "--no-color", COUNCIL_ENV, PROJECT_FILE, "_ECF_COMPLETE",
                   "--framework-version", '"schema"', "-vv"):  # fmt: skip
        assert needed in text, needed


def test_the_docs_extra_holds_what_the_site_needs() -> None:
    data = tomli.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    docs = {r.split(">=")[0] for r in data["project"]["optional-dependencies"]["docs"]}
    assert docs >= {"mkdocs-material", "mkdocstrings[python]", "mkdocs-click"}
