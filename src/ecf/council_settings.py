"""A council's settings (``[settings]`` of ``council.toml``): the one part every assessment reads.

Apart from :mod:`ecf.council`, which holds the rest of a council's configuration and reads its
file, so that a command without a council (``ecf status FILE``) neither imports nor builds the
council's other classes (issue 14: one record in a blink).  :mod:`ecf.council` re-exports it.
"""

from __future__ import annotations

from typing import Literal

import attrs

from ecf.framework import ReviewCadence  # noqa: TC001 - cattrs reads the annotation at run time

__all__ = ["CouncilSettings"]


@attrs.frozen
class CouncilSettings:
    """Parameters a council overrides.

    Attributes:
        pause_threshold_days: Replaces the framework's threshold for a pausing absence.
        completion_months: Each stage must be passed within this many months of its start.
        agency_rules: The agency eligibility rule set (BASELINE.md).
        review_cadence: Replaces the framework's review cadence (``pro-rata`` or ``calendar``).
    """

    pause_threshold_days: int | None = None
    completion_months: int | None = None
    agency_rules: Literal["statutory-2024", "consultation-2023"] = "statutory-2024"
    review_cadence: ReviewCadence | None = None
