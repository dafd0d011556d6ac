"""JSON Schemas of ecf's JSON outputs and of its record files, shipped as data.

Every JSON object ecf prints for scripts carries ``"schema": "<name>/<version>"`` (``status/1``),
and :data:`SCHEMAS` lists each schema with its version and what it describes; the schema itself
is a data file, ``ecf/data/schemas/<name>.json`` (JSON Schema, draft 2020-12), printed by
``ecf schema NAME``.  Adding a schema is one data file and one line here.

A version changes only when a consumer would break: a key removed, renamed or given another
type.  A key added keeps the version, so the schemas allow keys they do not list (a consumer
ignores what it does not know), and list as required what a consumer may rely on.

``record`` is not an output: it describes a record file (TOML) for editors that check TOML
against a JSON Schema (Taplo, "Even Better TOML"); its dates are TOML dates, checked as strings
in ISO 8601 form, and a record file carries no ``schema`` key (its ``schema_version`` says it).
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from ecf.errors import EcfError, Problem

__all__ = ["SCHEMAS", "Schema", "load", "names", "tag"]


@attrs.frozen
class Schema:
    """One schema of :data:`SCHEMAS`: its version and the output it describes."""

    version: int
    describes: str


#: Every schema ecf ships: name -> version and what it describes (one line each).
SCHEMAS: dict[str, Schema] = {
    "assess": Schema(1, "ecf assess --json: the findings and the recommendation"),
    "assess-diff": Schema(1, "ecf assess --rules FILE --diff --json: what the rules change"),
    "cohort": Schema(1, "ecf cohort --format json: the summary and one row per record"),
    "framework": Schema(1, "ecf frameworks --framework-version V --json: one version in full"),
    "framework-lists": Schema(1, "ecf frameworks --standards/--evidence-kinds --json: its lists"),
    "frameworks": Schema(1, "ecf frameworks --json: the versions and their stages"),
    "funding": Schema(1, "ecf funding --format json: each record's payments"),
    "import-plan": Schema(1, "ecf import --json: each row's action, each problem"),
    "migrate": Schema(1, "ecf migrate --json: each file's schema before and after, its backup"),
    "plugins": Schema(1, "ecf plugins --json: the assessor plugins"),
    "record": Schema(3, "a record file (TOML), for editors; not an output"),
    "rules-check": Schema(1, "ecf rules check --json: each rule file, its rules, its problems"),
    "status": Schema(1, "ecf status --json: the current stage and its milestones"),
    "subject-access": Schema(1, "ecf export --subject-access FILE: all held about a person"),
    "subject-access-folder": Schema(1, "ecf export --subject-access FOLDER --id ID: every file"),
    "timeline": Schema(1, "ecf timeline --json: everything dated in a record"),
    "validate": Schema(1, "ecf validate --json: each file, its id, its problems"),
    "verify": Schema(1, "ecf verify --json: each record, intact or its problems"),
    "workforce": Schema(1, "ecf workforce --format json: agency eligibility, CPD, leavers"),
}


def names() -> list[str]:
    """Every schema's name, sorted."""
    return sorted(SCHEMAS)


def tag(name: str) -> str:
    """The value of an output's ``schema`` key: ``name/version`` (``status/1``).

    Raises:
        KeyError: for a name :data:`SCHEMAS` does not list (a bug in ecf, not bad input).
    """
    return f"{name}/{SCHEMAS[name].version}"


def load(name: str) -> dict[str, Any]:
    """The JSON Schema called ``name``, as parsed JSON.

    Raises:
        EcfError: for an unknown name (the known ones listed).
    """
    if name not in SCHEMAS:
        known = ", ".join(names())
        raise EcfError([Problem(f"no schema called '{name}' (known: {known})")])
    from importlib import resources  # noqa: PLC0415 - imports tempfile: not for `status --json`

    text = resources.files("ecf").joinpath("data", "schemas", f"{name}.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
