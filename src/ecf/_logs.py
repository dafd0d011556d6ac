"""ecf's loggers, with :mod:`logging` imported only when a logger is first wanted (issue 14).

Importing :mod:`logging` costs a command's start about as much as reading its record, and
most commands log nothing unless ``-v`` is given.  The CLI therefore hands its configuration
(the handler that prints ``warning: ...`` lines) to :func:`configure_when_used`: it runs at
once when :mod:`logging` is imported already, else the first time ecf wants a logger
(:func:`logger`) or is about to import a plugin (:func:`configure_pending`), so that whatever
is logged is printed exactly as before.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable

__all__ = ["configure_pending", "configure_when_used", "logger"]

#: The configuration waiting for the first logger (at most one: the last one given).
_PENDING: list[Callable[[], None]] = []


def configure_when_used(configure: Callable[[], None]) -> None:
    """Run ``configure`` now if :mod:`logging` is imported, else before the first logger."""
    if "logging" in sys.modules:
        _PENDING.clear()
        configure()
    else:
        _PENDING[:] = [configure]


def configure_pending() -> None:
    """Run the configuration waiting, if any (before code that may log on its own runs)."""
    while _PENDING:
        _PENDING.pop()()


def logger(name: str) -> logging.Logger:
    """The logger ``name``, the waiting configuration applied first."""
    import logging  # noqa: PLC0415 - the point of this module

    configure_pending()
    return logging.getLogger(name)
