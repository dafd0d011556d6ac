"""Click parameter types for paths, kept out of ``ecf.cli`` so ``ecf --help`` needs no pathlib."""

from __future__ import annotations

from pathlib import Path

import click

#: A record file (it need not exist yet: ``ecf new`` creates it).
RECORD = click.Path(dir_okay=False, path_type=Path)
#: An existing file: a council configuration or a rule file.
COUNCIL = click.Path(exists=True, dir_okay=False, path_type=Path)
#: An existing folder of record files.
FOLDER = click.Path(exists=True, file_okay=False, path_type=Path)
