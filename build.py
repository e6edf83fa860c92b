"""Build this repository's own site: `python build.py [ARGS]` is `broadsheet build [ARGS]` on this folder.

`python build.py serve|check|new ...` runs the CLI's other commands on it.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from broadsheet.cli import main  # noqa: E402


def site_command(argv: list[str]) -> list[str]:
    """The broadsheet command line for this repo's site."""
    if argv and argv[0] in ("-h", "--help", "--version"):
        return argv
    command, rest = (argv[0], argv[1:]) if argv and not argv[0].startswith("-") else ("build", argv)
    if command == "init" or "--site" in rest:
        return [command, *rest]
    return [command, "--site", str(HERE), *rest]


if __name__ == "__main__":
    sys.exit(main(site_command(sys.argv[1:])))
