"""Build this repository's own site: `python build.py [ARGS]` is `broadsheet build [ARGS]` on this folder.

`python build.py serve|check|new ...` runs the CLI's other commands on it.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from broadsheet.cli import main  # noqa: E402 (after the checkout is put on sys.path)


def site_command(argv: list[str]) -> list[str]:
    """The broadsheet command line for this repo's site."""
    if argv and argv[0] in ("-h", "--help", "--version"):
        return argv
    command, rest = (argv[0], argv[1:]) if argv and not argv[0].startswith("-") else ("build", argv)
    if command == "init" or any(arg in ("-s", "--site", "--source") or arg.startswith(("--site=", "--source="))
                                for arg in rest):
        return [command, *rest]
    return [command, "--site", str(HERE), *rest]


def run_packaging_build() -> None:
    """`python -m build` here finds this file before PyPA's `build` package: hand the command over to it."""
    import runpy

    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
    runpy.run_module("build", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    if __spec__ is not None and __spec__.name == "build":
        run_packaging_build()
    else:
        sys.exit(main(site_command(sys.argv[1:])))
