"""The command line: build, check, serve, new, init, deploy."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import NoReturn

from broadsheet import __version__
from broadsheet.base.errors import SiteError
from broadsheet.base.options import BuildOptions
from broadsheet.base.progress import ConsoleReporter, Reporter, summary_line

MYPY = False
if MYPY:  # (for the type checker only: a build with nothing to do imports no more than it needs)
    from broadsheet.preview.serve import Rebuild

# What a command of a process that ends after it leaves for that end to free at once (see run, run_build).
_LEFT_FOR_EXIT: list[object] = []
# The commands that make a site rather than work in one: every other command refuses a folder that is no site.
MAKES_A_SITE = frozenset({"init", "import"})
# The last line of a failure, by command: what the failure left as it was.
FAILED = {"build": "nothing was changed in the output", "new": "no article was written",
          "deploy": "nothing was deployed", "init": "no site was made", "serve": "the preview did not start",
          "check": "the site was not checked", "import": "no site was made"}


def _common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing but problems")
    parser.add_argument("--verbose", "-v", action="store_true", help="say more about what is done, and why")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and the libraries' own messages")


def _site_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", "--source", "-s", type=Path, default=Path("."),
                        help="the site folder (default: the current folder)")
    _common_args(parser)


def _visibility_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--drafts", "--buildDrafts", "-D", action="store_true",
                        help="include articles marked draft: true")
    parser.add_argument("--future", "--buildFuture", "-F", action="store_true",
                        help="include articles dated after now")


def _build_args(parser: argparse.ArgumentParser) -> None:
    _site_args(parser)
    _visibility_args(parser)
    parser.add_argument("--now", metavar="DATETIME", help="build the site as of this moment (e.g. 2024-05-01T09:00)")
    parser.add_argument("--base-url", "--baseURL", "-b", metavar="URL", help="override site.yaml's base_url")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too (e.g. links to missing articles)")
    parser.add_argument("--jobs", "-j", type=_positive, metavar="N", help="worker processes (default: one per processor)")
    parser.add_argument("--cache-dir", type=Path, metavar="DIR", help="the build cache (default: SITE/.broadsheet-cache)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor keep a build cache")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return value


def make_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = argparse.ArgumentParser(prog="broadsheet", description="A static news-site generator.")
    parser.add_argument("--version", action="version", version=f"broadsheet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = commands.add_parser("build", help="build the site into its output folder")
    _build_args(build)
    build.add_argument("--output", "--destination", "-o", "-d", type=Path, help="output folder (default: SITE/public)")
    build.add_argument("--next-publication", action="store_true",
                       help="print only when the next scheduled article is due (UTC, ISO 8601; nothing if none), "
                            "for a CI schedule")

    check = commands.add_parser("check", help="validate the whole site without writing anything")
    _build_args(check)
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="text (grouped, for people) or json (one object per problem, for CI)")
    check.set_defaults(output=None)

    serve = commands.add_parser("serve", help="preview the site: build, serve, rebuild on every change")
    _site_args(serve)
    _visibility_args(serve)
    serve.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", "-p", type=int, default=8000,
                       help="port to listen on (default: 8000; 0 picks a free one)")
    serve.add_argument("--poll", action="store_true", help="poll for changes (Docker, network drives)")
    serve.add_argument("--open", action="store_true", help="open the preview in a web browser")

    new = commands.add_parser("new", help="write a new draft article")
    _site_args(new)
    new.add_argument("title", help="the headline")
    new.add_argument("--section", help="the article's section (default: site.yaml's section)")

    deploy = commands.add_parser("deploy", help="publish the built output to a git branch (GitHub Pages)")
    _site_args(deploy)
    deploy.add_argument("--output", "--destination", "-o", "-d", type=Path,
                        help="the built output folder (default: SITE/public)")
    deploy.add_argument("--branch", default="gh-pages", help="the branch to commit to (default: gh-pages)")
    deploy.add_argument("--message", "-m", default="", help="the commit message")
    deploy.add_argument("--push", metavar="REMOTE", nargs="?", const="origin",
                        help="push the branch to REMOTE (default: origin) after committing")
    deploy.add_argument("--adopt", action="store_true",
                        help="deploy to an existing branch that broadsheet deploy did not make (once)")

    imports = commands.add_parser("import", help="make a new site from a Jekyll or Hugo site or a WordPress export")
    imports.add_argument("kind", choices=("jekyll", "hugo", "wordpress"), help="what the old site is")
    imports.add_argument("source", type=Path, help="the old site's folder (WordPress: its export file); never written")
    imports.add_argument("dest", type=Path, help="the new site's folder: new or empty")
    imports.add_argument("--uploads", type=Path, metavar="DIR",
                         help="WordPress: a copy of the site's wp-content/uploads, published at the same paths")
    _common_args(imports)

    init = commands.add_parser("init", help="create a new site that builds at once, ready to deploy")
    init.add_argument("directory", type=Path)
    _common_args(init)
    return parser


def build_options(args: argparse.Namespace) -> BuildOptions:
    """BuildOptions from parsed build arguments."""
    return BuildOptions(
        site_dir=args.site, output_dir=args.output or args.site / "public", drafts=args.drafts,
        future=args.future, now=args.now, base_url=args.base_url, quiet=args.quiet, strict=args.strict,
        jobs=args.jobs, cache_dir=args.cache_dir, no_cache=args.no_cache,
    )


def make_reporter(args: argparse.Namespace) -> Reporter:
    """How a long build or check shows its progress: a live line on a terminal, nothing otherwise or with --quiet;
    with --verbose, what is done again and why."""
    if args.quiet:
        return Reporter()
    return ConsoleReporter(sys.stderr, live=sys.stderr.isatty(), verbose=args.verbose)


def run_build(args: argparse.Namespace) -> int:
    """`broadsheet build`; with nothing changed since the last build, it checks that and stops, importing and
    reading no more than that takes."""
    import gc
    import time

    from broadsheet.incremental import stamp
    from broadsheet.pipeline.lock import build_lock
    from broadsheet.stages.theme import default_theme_dir

    started = time.perf_counter()
    options = build_options(args)
    if args.ends_process:
        # The process ends with this build (see run), and its garbage with it: the cycle collector stays off. (Its
        # runs would walk everything the build holds to find little: 30 ms after a one-line edit at 10,000
        # articles. build() turns it off only while it runs.)
        gc.disable()
    with build_lock(options):  # (before the stamp is trusted: another build may be writing the output)
        inputs = None if options.no_cache else stamp.scan(options, default_theme_dir())
        last = stamp.unchanged(options, default_theme_dir(), inputs) if inputs else None
        if last is not None:
            warnings: tuple[object, ...] = last.warnings
            pages, articles, left_out = last.pages, last.articles, last.left_out
            if args.verbose:
                print("Nothing changed since the last build: nothing was rebuilt.", file=sys.stderr)
        else:
            from broadsheet.incremental.session import BuildSession
            from broadsheet.pipeline.build import build

            reporter = make_reporter(args)
            session = BuildSession(options.jobs, lasts_one_build=args.ends_process)
            if args.ends_process:
                _LEFT_FOR_EXIT.append(session)
            try:
                with session:
                    result = build(options, scan=inputs, reporter=reporter, session=session)
            finally:
                reporter.finish()
            warnings, pages, articles = result.warnings, result.pages, result.articles
            if args.verbose and not result.parsed and not result.rendered:
                print("Nothing changed since the last build: nothing was rebuilt.", file=sys.stderr)
            left = result.left_out
            left_out = (left.drafts, left.scheduled, left.expired, left.next_publication)
    for warning in warnings:
        print(warning, file=sys.stderr)
    line = summary_line(pages, articles, time.perf_counter() - started, *left_out)
    if args.next_publication:  # standard output holds the moment alone, for a script
        if left_out[3] is not None:
            print(left_out[3].astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        if not args.quiet:
            print(line, file=sys.stderr)
    elif not args.quiet:
        print(line)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """`broadsheet serve`: runs until Ctrl-C (or SIGTERM), which ends it cleanly with status 0."""
    from broadsheet.preview.serve import PreviewSession, is_loopback

    options = BuildOptions(site_dir=args.site, output_dir=args.site / "public", drafts=args.drafts,
                           future=args.future)
    session = PreviewSession(options, args.bind, args.port, args.poll, _problems_only if args.quiet else None)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        session.start()
        print(f"Serving the preview at {session.url} (Ctrl-C to stop)", flush=True)
        if not is_loopback(args.bind):
            print(f"Warning: listening on {args.bind}: other machines can see this preview, drafts included.")
        if args.open:
            import webbrowser

            webbrowser.open(session.url)
        session.run()
    except KeyboardInterrupt:
        pass
    except SiteError as error:  # the server could not listen; build problems never end the preview
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print("Failed: the preview server could not start.", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
        session.close()
    if not args.quiet:
        print("Stopped.")
    return 0


def _problems_only(rebuild: Rebuild) -> None:
    """The preview's report with --quiet: a rebuild's problems, not its line."""
    for problem in rebuild.problems:
        print(problem, file=sys.stderr)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (docker stop, kill) ends the preview as Ctrl-C does."""
    raise KeyboardInterrupt


def run_check(args: argparse.Namespace) -> int:
    """`broadsheet check`: the problems (repeated warnings grouped by kind; all with --verbose; JSON with --format
    json), then a count; 1 on errors (with --strict, on warnings too)."""
    from broadsheet.pipeline.check import check, grouped_lines, json_lines, problem_line

    reporter = make_reporter(args) if args.format == "text" else Reporter()
    try:
        result = check(build_options(args), reporter)
    finally:
        reporter.finish()
    if args.format == "json":
        for line in json_lines(result.problems):
            print(line)
        return 1 if result.errors or (args.strict and result.warnings) else 0
    for line in (map(problem_line, result.problems) if args.verbose else grouped_lines(result.problems)):
        print(line)
    if not args.quiet or result.problems:
        print(f"Checked {result.pages} pages: {result.errors:,} error{'s' * (result.errors != 1)}, "
              f"{result.warnings:,} warning{'s' * (result.warnings != 1)}" +
              (f" ({result.silenced:,} more of kinds site.yaml turns off)." if result.silenced else "."))
    return 1 if result.errors or (args.strict and result.warnings) else 0


def run_deploy(args: argparse.Namespace) -> int:
    """`broadsheet deploy`; warns while site.yaml's base_url is still the example `init` wrote."""
    from broadsheet.cli.deploy import deploy_to_branch
    from broadsheet.cli.scaffold import example_base_url_warning
    from broadsheet.stages.config import load_config

    output = args.output or args.site / "public"
    commit = deploy_to_branch(output, args.site, args.branch, args.message, args.push, args.adopt)
    if not args.quiet:
        print(f"Deployed {output} to branch {args.branch} ({commit[:12]})" +
              (f", pushed to {args.push}" if args.push else ""))
    warning = example_base_url_warning(args.site, load_config(args.site))
    if warning is not None:  # (after the deploy: a warning, not a reason to refuse it)
        print(warning, file=sys.stderr)
    return 0


def run_new(args: argparse.Namespace) -> int:
    """`broadsheet new`."""
    from broadsheet.cli.scaffold import new_article
    from broadsheet.stages.config import load_config

    config = load_config(args.site)
    path, archetype = new_article(args.site, config, args.title, args.section, datetime.now(config.zone))
    if args.verbose and archetype is not None:
        print(f"Filled in {archetype}", file=sys.stderr)
    if not args.quiet:
        print(path)
    return 0


def run_init(args: argparse.Namespace) -> int:
    """`broadsheet init`."""
    from broadsheet.cli.scaffold import init_site

    written = init_site(args.directory)
    if args.verbose:
        for path in written:
            print(f"  {path}")
    if not args.quiet:
        print(f"Created a new site in {args.directory}. Preview it with: cd {args.directory} && broadsheet serve")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """`broadsheet import`: 0 when the new site builds without errors."""
    from broadsheet.importers import import_site

    if not args.quiet:
        return import_site(args.kind, args.source, args.dest, args.uploads)
    import contextlib
    import io

    report = io.StringIO()  # (with --quiet, the report is printed only when the new site has errors)
    with contextlib.redirect_stdout(report):
        status = import_site(args.kind, args.source, args.dest, args.uploads)
    if status:
        print(report.getvalue(), end="")
    return status


COMMANDS = {"build": run_build, "check": run_check, "serve": run_serve, "new": run_new, "init": run_init,
            "deploy": run_deploy, "import": run_import}


def _command_of(argv: Sequence[str]) -> str | None:
    """The command named on a command line (its first word that is not an option), or None."""
    return next((word for word in argv if not word.startswith("-")), None)


def _suggest(word: str, known: Iterable[str]) -> str:
    """ "; did you mean …?" when a known word is close to `word`, else ""."""
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def parse_arguments(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """The parsed command line; an unknown command or option ends the program (status 2) with a usage line and
    a "did you mean" where something known is close to it."""
    commands = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    named = _command_of(argv)
    if named is not None and named not in commands.choices:
        parser.error(f"unknown command '{named}'" + (_suggest(named, commands.choices)
                                                    or f" (commands: {', '.join(commands.choices)})"))
    args, extras = parser.parse_known_args(argv)
    if extras:
        subparser = commands.choices[args.command] if args.command else parser
        unknown = next((word for word in extras if word.startswith("-")), extras[0])
        options = [option for action in subparser._actions for option in action.option_strings]
        name = unknown.partition("=")[0]
        if name in options:  # (`broadsheet --quiet build`: known, in the wrong place)
            subparser.error(f"'{unknown}' goes after the command: broadsheet {args.command} {unknown}")
        what = "option" if unknown.startswith("-") else "argument"
        subparser.error(f"unknown {what} '{unknown}'" + (_suggest(name, options) if what == "option" else ""))
    return args


def run() -> NoReturn:
    """The `broadsheet` command: main(), then the process ends at once, not freeing one by one the objects a
    command leaves (tens of milliseconds after a build of 10,000 articles), as Python's own exit does."""
    status = main(ends_process=True)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # (a closed pipe, a closed stream: nothing more can be said there)
            pass
    os._exit(status)


def main(argv: Sequence[str] | None = None, ends_process: bool = False) -> int:
    """Run a command; user mistakes print one line per problem and return 1, without a traceback. `ends_process`:
    the process ends after it (see run), which may then leave its objects for that end to free."""
    parser = make_parser()
    args = parse_arguments(parser, sys.argv[1:] if argv is None else list(argv))
    args.ends_process = ends_process
    if args.command is None:
        parser.print_help()
        return 2
    if args.debug or args.command == "serve":  # the modules that log; a build with nothing to do imports none
        import logging

        logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(message)s")
        if args.debug and not args.verbose:  # (Python-Markdown's "Successfully loaded extension" and the like)
            logging.getLogger("MARKDOWN").setLevel(logging.WARNING)
        if args.verbose:  # the preview's requests, one line each
            logging.getLogger("broadsheet.preview.serve").setLevel(logging.DEBUG)
    try:
        if args.command not in MAKES_A_SITE and hasattr(args, "site"):
            from broadsheet.pipeline.places import check_site_folder

            check_site_folder(args.site)
        return COMMANDS[args.command](args)
    except SiteError as error:
        if args.debug:
            import traceback

            traceback.print_exc()
        for problem in sorted(error.problems, key=lambda p: (p.path, p.line or 0)):
            print(problem, file=sys.stderr)
        errors = sum(not p.warning for p in error.problems)
        outcome = FAILED.get(args.command, "nothing was changed")
        print(f"Failed: {errors} problem{'s' * (errors != 1)}; {outcome}.", file=sys.stderr)
        return 1
    except OSError as error:
        # The machine's state, not a bug (a full or read-only disk, a folder without permission): one line, as for
        # a problem of the site; anything else that reaches here is a bug and keeps its traceback.
        if args.debug:
            import traceback

            traceback.print_exc()
        where = f"{error.filename}: " if error.filename else ""
        print(f"{where}{error.strerror or error}", file=sys.stderr)
        print("Failed: the system refused a file operation (see above).", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
