"""The ``ecf`` command line: a thin layer over the library for one record.

This module is long because it holds the group, its static help table (so that ``ecf --help``
imports no command) and the few helpers every command shares.

Exit codes:

* ``0``: success.
* ``1``: reserved for commands over many records (cohorts): some failed, the rest ran.
* ``2``: bad input: a usage error, a malformed or invalid file, a refused change, a file that
  changed while the command ran.  Nothing on disk changes.
* ``3``: an internal error (a bug in ecf): please report it with the output of ``--debug``.

Each command lives in a module of its own (``ecf.cli.record``, ``report``, ``assess``,
``cohort``, ``hr``, ``trust``, ``privacy``), imported only when that command runs; the group's
help comes from a static table (a test keeps it equal to the commands' own help), so ``ecf
--help`` imports nothing but click and this module.  The helpers the commands share are here.
Errors are handled once, in :meth:`LazyGroup.invoke`: a library error becomes a
:class:`CliError` carrying its exit code, as click's own exceptions do.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import os
import re
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from collections.abc import Iterator
    from contextlib import AbstractContextManager
    from fractions import Fraction
    from pathlib import Path

    from ecf.assessors import Plugins
    from ecf.council import Council
    from ecf.editor import Editor
    from ecf.framework import FrameworkRegistry
    from ecf.records import HistoryEntry, Record

EXIT_SOME_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3

#: The most days an option such as ``--days`` or ``--due-within`` may span (a hundred years):
#: more would carry a date past the calendar (exit 2, not an internal error).
MAX_DAYS = 36_525

#: Who made a change, for the record's history (default: the login name).
USER_ENV = "ECF_USER"


class DateType(click.ParamType):  # type: ignore[type-arg]
    """An ISO date, YYYY-MM-DD (:func:`ecf.parsing.parse_date`)."""

    name = "date"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        """Parse the value or fail with a usage error naming it."""
        from ecf.parsing import ParseError, parse_date

        try:
            return parse_date(value if isinstance(value, dt.date) else str(value))
        except ParseError as exc:
            self.fail(exc.inline(), param, ctx)


class FteType(click.ParamType):  # type: ignore[type-arg]
    """A full-time equivalent in (0, 1]: ``0.6`` or ``3/5`` (:func:`ecf.parsing.parse_fte`)."""

    name = "fte"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Fraction:
        """Parse the value exactly or fail with a usage error naming it."""
        from ecf.parsing import ParseError, parse_fte

        try:
            return parse_fte(str(value), in_range=True)
        except ParseError as exc:
            self.fail(exc.inline(), param, ctx)


DATE = DateType()
FTE = FteType()


class _State:
    def __init__(self, debug: bool, frameworks: tuple[str, ...], user: str | None) -> None:
        self.debug = debug
        self.framework_files = frameworks
        self.user = user
        self._registry: FrameworkRegistry | None = None

    @property
    def registry(self) -> FrameworkRegistry:
        if self._registry is None:
            from pathlib import Path

            from ecf.framework import FrameworkRegistry

            self._registry = FrameworkRegistry.default([Path(f) for f in self.framework_files])
        return self._registry

    def user_name(self) -> str:
        """Who makes the change, for the history: ``--user``, else ``$ECF_USER``, else login."""
        return self.user or os.environ.get(USER_ENV) or _login()

    def entry(self, action: str, detail: str, item: str | None = None) -> HistoryEntry:
        from ecf.records import HistoryEntry

        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        return HistoryEntry(now, self.user_name(), action, detail, item=item)


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return "unknown"


def state() -> _State:
    """The running command's shared state: the group's options and the frameworks."""
    return click.get_current_context().ensure_object(_State)


def today() -> dt.date:
    """Today's local date."""
    return dt.date.today()  # noqa: DTZ011 - a person's local date is what "today" means here


def dumps(data: object, indent: int = 2) -> str:
    """JSON for scripts, through the library's one JSON converter (:func:`ecf.to_json`)."""
    import json

    from ecf._convert import to_json

    return json.dumps(to_json(data), indent=indent)


def problems_json(problems: Any) -> list[dict[str, str | None]]:
    """Problems (:class:`ecf.errors.Problem`) for a ``--json`` output: each one's parts and line.

    ``error`` is the line the text output prints; the raw value is not a key of its own, so a
    personal value is never shown (the line shows a value only where the field allows it).
    """
    return [
        {"file": p.file, "path": p.path or None, "message": p.message, "error": str(p)}
        for p in problems
    ]


@functools.cache
def _control() -> re.Pattern[str]:
    """What must not reach a terminal as it is.

    C0 controls but tab and newline (a carriage return only before a newline, as CSV ends its
    lines), DEL, C1 controls, the bidirectional overrides and isolates that reorder what a
    person sees ("Trojan Source"), and lone surrogates (an option's bytes that are not UTF-8:
    printed as they are, they cannot be encoded, and the command would stop with an internal
    error).  Compiled when a text first needs it (:func:`escape`): plain ASCII text without
    controls never does (issue 14).
    """
    return re.compile(
        r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
        r"\ud800-\udfff]"
        r"|\r(?!\n)"
    )


def _escaped(match: re.Match[str]) -> str:
    r"""``\x1b`` for a C0 control; ``\u009b`` from DEL on, which JSON reads back.

    A JSON text never holds a raw C0 control, but may hold these (``ensure_ascii=False``).
    """
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x7F else f"\\u{code:04x}"  # noqa: PLR2004 - DEL


def escape(text: str) -> str:
    r"""``text`` with every control character shown as an escape (``\x1b``), never obeyed.

    A council code, a note or a file name may hold a terminal escape sequence; printed as it is,
    it could retitle the window, hide a line or rewrite what a person reads.  Tab and newline
    stay, and a carriage return before a newline.
    """
    if text.isascii() and text.replace("\n", "").replace("\t", "").isprintable():
        return text  # no control character at all (the common case): no pattern to compile
    control = _control()
    return control.sub(_escaped, text) if control.search(text) else text


def echo(
    message: object = "",
    *,
    err: bool = False,
    nl: bool = True,
    data: bool = False,
    fg: str | None = None,
) -> None:
    """Print one message as :func:`click.echo` does, control characters escaped (:func:`escape`).

    Every command prints through this, so nothing it reads reaches the terminal as a control.

    Args:
        message: What to print; bytes (an iCalendar file) are UTF-8.
        err: On standard error.
        nl: End with a newline.
        data: A file's content (CSV, iCalendar): escaped only on a terminal, so that a pipe or
            a redirection receives the data byte for byte (a quoted CSV cell may hold a
            carriage return).
        fg: A colour for the escaped text (click styles it; dropped when not a terminal).
    """
    stream = sys.stderr if err else sys.stdout
    raw = data and not (stream is not None and stream.isatty())
    if isinstance(message, bytes):
        if raw:
            click.echo(message, err=err, nl=nl)
            return
        message = message.decode("utf-8", "replace")
    text = str(message) if raw else escape(str(message))
    click.echo(text if fg is None else click.style(text, fg=fg), err=err, nl=nl)


class CliError(click.ClickException):
    """A refusal the CLI reports: one ``error:`` line per problem, and its exit code.

    Raised by a command (or made from a library :class:`~ecf.errors.EcfError` by the group, in
    one place: :meth:`LazyGroup.invoke`); click prints it and exits with ``exit_code``.
    """

    def __init__(self, lines: list[str], exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.exit_code = exit_code  # type: ignore[misc]  # click sets it per instance too

    def show(self, file: Any = None) -> None:
        """Print one ``error:`` line per problem on standard error."""
        for line in self.lines:
            click.echo(escape(f"error: {line}"), err=True, file=file)


def fail(lines: list[str], code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Stop the command: one ``error:`` line per problem, exit with ``code``."""
    raise CliError(lines, code)


#: Every command: where it lives and its one-line help, so that ``ecf --help`` imports none.
COMMANDS: dict[str, tuple[str, str]] = {
    "add": (
        "ecf.cli.record:add",
        "Add working hours, an absence, evidence or a review to a record.",
    ),
    "advance": ("ecf.cli.record:advance", "Start the next stage after a pass."),
    "agree": (
        "ecf.cli.record:agree",
        "Record the due date agreed for a milestone of the current stage.",
    ),
    "anonymise": (
        "ecf.cli.privacy:anonymise",
        "Strip the personal data from a record, keeping the career facts, and record why.",
    ),
    "appeal": (
        "ecf.cli.record:appeal",
        "Record an appeal against a decision: lodged, then upheld or dismissed.",
    ),
    "assess": (
        "ecf.cli.assess:assess",
        "Run the assessors on a record and explain the recommendation.",
    ),
    "assign": (
        "ecf.cli.record:assign",
        "Name the practitioner's assessor, supervisor or coordinator from a date on.",
    ),
    "cache": (
        "ecf.cli.cache:cache",
        "Work with the cohort cache of parsed records (data only, owner-only).",
    ),
    "calendar": (
        "ecf.cli.hr:calendar_command",
        "Export upcoming milestones of records (files or folders) as an iCalendar (.ics) file.",
    ),
    "census": (
        "ecf.cli.census:census",
        "The children's social work workforce census: one CSV row per worker in the year.",
    ),
    "cohort": (
        "ecf.cli.cohort:cohort",
        "Report on every record under FOLDER: who is where, what is due, who is at risk.",
    ),
    "correct": (
        "ecf.cli.record:correct",
        "Correct fields of one item by its id, keeping the old values in the history.",
    ),
    "decide": (
        "ecf.cli.record:decide",
        "Record a decision on the current stage; it is never overwritten.",
    ),
    "export": (
        "ecf.cli.privacy:export",
        "Export a record for a subject access request, or a folder as a reporting database.",
    ),
    "frameworks": (
        "ecf.cli.frameworks:frameworks",
        "List the framework versions, or the stages and milestones of one.",
    ),
    "funding": (
        "ecf.cli.funding:funding",
        "Funding: each record's eligibility for each payment, the amount, and when to claim.",
    ),
    "import": (
        "ecf.cli.hr:import_command",
        "Create and update records from an HR export (CSV); a dry run unless --apply.",
    ),
    "leave": (
        "ecf.cli.record:leave",
        "Record that the practitioner left employment; the record is closed after.",
    ),
    "new": ("ecf.cli.record:new", "Start a new record FILE in its first stage."),
    "rejoin": (
        "ecf.cli.record:rejoin",
        "Reopen the record of a practitioner who left and came back.",
    ),
    "report": (
        "ecf.cli.html:report",
        "Write a record's progress as one HTML page, for the practitioner, assessor and panel.",
    ),
    "retract": (
        "ecf.cli.record:retract",
        "Withdraw one item recorded in error: it stays, marked, and counts for nothing.",
    ),
    "transfer": (
        "ecf.cli.record:transfer",
        "Move the practitioner to another council: service carries over, the gap stops the clock.",
    ),
    "plugins": (
        "ecf.cli.assess:plugins",
        "List the assessor plugins: installed, allowed, version, origin, and load failures.",
    ),
    "rules": ("ecf.cli.assess:rules", "Work with rule files in ecf's TOML rule language."),
    "schema": (
        "ecf.cli.schema:schema",
        "Print the JSON Schema of a JSON output (or of record files: record); list them.",
    ),
    "status": (
        "ecf.cli.report:status",
        "Show the current stage, what is overdue, what is next, and every milestone.",
    ),
    "timeline": (
        "ecf.cli.report:timeline",
        "Show everything dated in the record, stage by stage, with due dates to come.",
    ),
    "validate": (
        "ecf.cli.report:validate",
        "Check record files; print every problem, one per line.",
    ),
    "verify": (
        "ecf.cli.trust:verify",
        "Check that no past history entry or decision of a record was edited or removed by hand.",
    ),
    "migrate": (
        "ecf.cli.trust:migrate",
        "Upgrade record files to the current schema, keeping a backup of each.",
    ),
    "keys": (
        "ecf.cli.trust:keys",
        "Make and use the Ed25519 keys that sign every history entry written.",
    ),
    "workforce": (
        "ecf.cli.cohort:workforce",
        "Workforce figures: agency eligibility, CPD readiness, and leavers by stage.",
    ),
}


#: The commands that read or change one record (and no folder): they run with the cyclic
#: garbage collector paused (:func:`_pause_collector`).
ONE_RECORD = frozenset(
    {
        *(name for name, (where, _) in COMMANDS.items() if where.startswith("ecf.cli.record:")),
        "assess",
        "report",
        "status",
        "timeline",
    }
)


def _pause_collector(ctx: click.Context) -> None:
    """Run a one-record command with the cyclic garbage collector paused; skip its pass at exit.

    Starting a one-record command builds a hundred thousand objects or so (modules, classes,
    the framework data) and none of them is garbage: the collector's passes over them while the
    command starts, and its full pass when the interpreter exits, cost about 0.3 of ``import
    click`` (10-15 ms of CPU; issue 14), more than the command's own work.  A one-record command
    makes little garbage (one record's worth, bounded by the file size limit), which reference
    counting or the exit frees.  The collector is enabled again when the command ends (a caller
    in the same process, such as a test, gets it back as it was); at the interpreter's exit,
    what is alive is frozen (:func:`gc.freeze`), so that the last pass has nothing to scan.
    """
    import gc

    if not gc.isenabled():
        return
    gc.disable()
    ctx.call_on_close(gc.enable)
    _freeze_at_exit()


@functools.cache
def _freeze_at_exit() -> None:
    """Freeze what is alive at the interpreter's exit (once, however many commands run)."""
    import atexit
    import gc

    atexit.register(gc.freeze)


def _debug(ctx: click.Context) -> bool:
    return isinstance(ctx.obj, _State) and ctx.obj.debug


def _terminal_width() -> int:
    """The help's width as click computes it, reading the terminal without ``shutil``.

    ``$COLUMNS``, else the terminal's width, else 80 (shutil's rule); at most 80, less 2, and
    at least 50 (click's rule).
    """
    columns = 80
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 80
    return max(min(columns, 80) - 2, 50)


class LazyGroup(click.Group):
    """A group whose commands are imported when one runs (click's "lazily loading subcommands")."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, without importing any."""
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import the command's module now."""
        if cmd_name in COMMANDS:
            module, _, attr = COMMANDS[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(module), attr)
            if not isinstance(command, click.Command):  # pragma: no cover - a wrong table entry
                msg = f"{COMMANDS[cmd_name][0]} is not a click command"
                raise TypeError(msg)
            return command
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; every error is turned into its lines and exit code here, once.

        A library error (:class:`~ecf.errors.EcfError`) prints one line per problem with its
        exit code; an unexpected one prints its type only (its message may hold personal data)
        and exits 3; output piped into ``head`` stops quietly.  ``--debug`` shows the traceback.
        """
        from ecf.errors import EcfError

        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            # click prints it (an option's value, say), escaped; click types message Final
            exc.message = escape(exc.message)  # type: ignore[misc]
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except EcfError as exc:
            if _debug(ctx):
                raise
            raise CliError(exc.lines(), exc.exit_code) from exc
        except BrokenPipeError:  # output piped into `head`: stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except Exception as exc:
            if _debug(ctx):
                raise
            raise CliError(
                # Only the type: the message of an unexpected error may hold personal data.
                [f"internal error ({type(exc).__name__}); run again with --debug and report it"],
                EXIT_INTERNAL,
            ) from exc

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """The context, with the terminal's width read without ``shutil`` (and its imports)."""
        extra.setdefault("terminal_width", _terminal_width())
        return super().make_context(info_name, args, parent, **extra)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands section of ``--help``, from the static table."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        # A throwaway Command truncates the help exactly as click would for the real one.
        rows = [(n, click.Command(n, help=COMMANDS[n][1]).get_short_help_str(limit)) for n in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


#: Set and not empty: no colour, unless ``--color`` (https://no-color.org).
NO_COLOR_ENV = "NO_COLOR"


class _EchoHandler:
    """Marks the one handler the CLI adds to the ``ecf`` logger (added once per process)."""


def _setup_logging(verbose: int) -> None:
    """Log records of the ``ecf`` logger to stderr: warnings, ``-v`` info, ``-vv`` debug.

    Library log messages name record ids, never people (see ``docs/conventions.md``).  The
    handler writes through ``click.echo`` when a record is emitted, so it follows the current
    stderr (a test runner swaps it).  Without ``-v`` it is set up when ecf first wants a
    logger (:mod:`ecf._logs`): a command that logs nothing does not import :mod:`logging`.
    """
    if verbose:
        _setup_logging_now(verbose)
        return
    from ecf import _logs

    _logs.configure_when_used(lambda: _setup_logging_now(verbose))


def _setup_logging_now(verbose: int) -> None:
    import logging

    class Handler(logging.Handler, _EchoHandler):
        def emit(self, record: logging.LogRecord) -> None:
            echo(f"{record.levelname.lower()}: {record.getMessage()}", err=True)

    logger = logging.getLogger("ecf")
    if not any(isinstance(h, _EchoHandler) for h in logger.handlers):
        logger.addHandler(Handler())
    levels = {0: logging.WARNING, 1: logging.INFO}
    logger.setLevel(levels.get(verbose, logging.DEBUG))


def _use_council(ctx: click.Context) -> None:
    """Make ``$ECF_COUNCIL`` or the project file's council every command's ``--council``.

    Through click's ``default_map``: a command's ``--council FILE`` still wins, and commands
    without the option ignore it (:func:`ecf.project.find_council` says the order).
    """
    from pathlib import Path

    from ecf.project import find_council

    council, source = find_council(None, os.environ, Path.cwd())
    if council is None:
        return
    from ecf import _logs

    _logs.logger("ecf.cli").info("council file %s (from %s)", council, source)
    ctx.default_map = {name: {"council_file": str(council)} for name in COMMANDS}


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ecf-social-work", prog_name="ecf")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Say more on stderr: -v what ecf does (record ids, never names), -vv debugging detail.",
)
@click.option(
    "--color/--no-color",
    default=None,
    help=f"Colour the output (default: on a terminal, unless ${NO_COLOR_ENV} is set).",
)
@click.option(
    "--framework",
    "frameworks",
    multiple=True,
    type=click.Path(exists=True),
    help="A framework file (or folder of them) to add; the last one is used for new stages.",
)
@click.option(
    "--user", help=f"Who is making the change, for the history (default: ${USER_ENV} or login)."
)
@click.option(
    "--key",
    type=click.Path(dir_okay=False),
    help="Sign every history entry written with this Ed25519 private key "
    "(default: $ECF_SIGNING_KEY; `ecf keys new` makes one).",
)
@click.pass_context
def main(
    ctx: click.Context,
    debug: bool,
    verbose: int,
    color: bool | None,
    frameworks: tuple[str, ...],
    user: str | None,
    key: str | None,
) -> None:
    """Track a social worker's early career: ASYE, the ECDP, ECF years 1-2, expert.

    A council file given once: $ECF_COUNCIL, or `council = "FILE"` in an ecf.toml in this
    folder or above; --council on a command wins.

    Exit codes: 0 success; 2 bad input (nothing is changed); 3 internal error.
    """
    if ctx.invoked_subcommand in ONE_RECORD:
        _pause_collector(ctx)
    ctx.obj = _State(debug, frameworks, user)
    if color is None and os.environ.get(NO_COLOR_ENV):
        color = False
    ctx.color = color
    _setup_logging(verbose)
    _use_council(ctx)
    if key is not None:
        from ecf.signing import using

        ctx.with_resource(using(key))


def editing(file: Path) -> AbstractContextManager[Editor]:
    """The library's edit of one record (:func:`ecf.editor.edit`), with the command's options.

    Who (``--user``), the frameworks (``--framework``) and today's date come from the command
    line; the transaction (lock, read, check, write atomically) is the library's.
    """
    import contextlib

    from ecf.editor import edit

    shared = state()

    @contextlib.contextmanager
    def warned() -> Iterator[Editor]:
        with edit(file, by=shared.user_name(), registry=shared.registry, today=today()) as editor:
            before = len(editor.record.history)
            yield editor
        if any(e.hand_edited for e in editor.record.history[before:]):
            echo(
                f"warning: {file}: the record had been changed by hand since its last entry "
                "(not through ecf); this change says so, and `ecf verify` reports it",
                err=True,
            )

    return warned()


def load_valid(file: Path) -> Record:
    """Read a record file (for reading only) and check it (:func:`ecf.sources.read_valid`).

    The same two steps as :func:`ecf.sources.read_valid`, without importing the cohort's
    sources and cache modules, which one record never uses (issue 14: start-up).
    """
    from ecf.store import read_record
    from ecf.validation import ensure_valid

    return ensure_valid(read_record(file), state().registry, today(), file=str(file))


def council_config(path: Path | None) -> Council | None:
    """The council configuration at ``path``, if one was given, with its rule overrides checked.

    A council that tunes single rules (``[rules.ID]``) has them checked against the rules they
    tune here, once, before any record is read (:func:`ecf.tuning.check_council`).
    """
    if path is None:
        return None
    from ecf.council import load_council

    council = load_council(path)
    if council.overrides:
        from ecf.tuning import check_council

        check_council(council, state().registry)
    return council


def warn_unavailable(council: Council | None, plugins: Plugins) -> None:
    """One ``warning:`` line on stderr for each plugin the council allows that did not load.

    Once per command, not per record: each record's assessment holds the matching ``error``
    finding (``NAME:not-loaded``), which makes its recommendation at-risk.
    """
    if council is None:
        return
    for info in plugins.unavailable(council.plugins):
        echo(
            f"warning: council {council.code} allows plugin '{info.name}', which did not load: "
            f"{info.error}; its findings are missing, so recommendations are at-risk",
            err=True,
        )
