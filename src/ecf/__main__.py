"""``python -m ecf``: the same as the ``ecf`` command."""

from ecf.cli import main

main()
