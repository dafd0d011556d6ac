"""Make the plugin importable from its source tree, installed or not."""

from __future__ import annotations

import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parent.parent / "src")
if SRC not in sys.path:
    sys.path.insert(0, SRC)
