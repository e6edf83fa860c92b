"""Allow ``python -m broadsheet``."""

from broadsheet.cli.main import run

run()
