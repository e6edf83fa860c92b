"""The command line: build, serve, new, init, deploy."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from broadsheet import __version__
from broadsheet.base.errors import SiteError
from broadsheet.base.options import BuildOptions


def _site_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", type=Path, default=Path("."), help="the site folder (default: the current folder)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def _build_args(parser: argparse.ArgumentParser) -> None:
    _site_args(parser)
    parser.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    parser.add_argument("--future", action="store_true", help="include articles dated after now")
    parser.add_argument("--now", metavar="DATETIME", help="build the site as of this moment (e.g. 2024-05-01T09:00)")
    parser.add_argument("--base-url", metavar="URL", help="override site.yaml's base_url")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
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
    build.add_argument("--output", "-o", type=Path, help="output folder (default: SITE/public)")

    check = commands.add_parser("check", help="validate the whole site without writing anything")
    _build_args(check)
    check.set_defaults(output=None)

    serve = commands.add_parser("serve", help="preview the site: build, serve, rebuild on every change")
    _site_args(serve)
    serve.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    serve.add_argument("--future", action="store_true", help="include articles dated after now")
    serve.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0 picks a free one)")
    serve.add_argument("--poll", action="store_true", help="poll for changes (Docker, network drives)")
    serve.add_argument("--open", action="store_true", help="open the preview in a web browser")

    new = commands.add_parser("new", help="write a new draft article")
    _site_args(new)
    new.add_argument("title", help="the headline")
    new.add_argument("--section", help="the article's section (default: site.yaml's section)")

    deploy = commands.add_parser("deploy", help="publish the built output to a git branch (GitHub Pages)")
    _site_args(deploy)
    deploy.add_argument("--output", "-o", type=Path, help="the built output folder (default: SITE/public)")
    deploy.add_argument("--branch", default="gh-pages", help="the branch to commit to (default: gh-pages)")
    deploy.add_argument("--message", "-m", default="", help="the commit message")
    deploy.add_argument("--push", metavar="REMOTE", nargs="?", const="origin",
                        help="push the branch to REMOTE (default: origin) after committing")
    deploy.add_argument("--adopt", action="store_true",
                        help="deploy to an existing branch that broadsheet deploy did not make (once)")

    init = commands.add_parser("init", help="create a new site that builds at once")
    init.add_argument("directory", type=Path)
    init.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def build_options(args: argparse.Namespace) -> BuildOptions:
    """BuildOptions from parsed build arguments."""
    return BuildOptions(
        site_dir=args.site, output_dir=args.output or args.site / "public", drafts=args.drafts,
        future=args.future, now=args.now, base_url=args.base_url, quiet=args.quiet, strict=args.strict,
        jobs=args.jobs, cache_dir=args.cache_dir, no_cache=args.no_cache,
    )


def run_build(args: argparse.Namespace) -> int:
    """`broadsheet build`; with nothing changed since the last build, it checks that and stops, importing and
    reading no more than that takes."""
    import time

    from broadsheet.incremental import stamp
    from broadsheet.pipeline.lock import build_lock
    from broadsheet.stages.theme import default_theme_dir

    started = time.perf_counter()
    options = build_options(args)
    with build_lock(options):  # (before the stamp is trusted: another build may be writing the output)
        inputs = None if options.no_cache else stamp.scan(options, default_theme_dir())
        last = stamp.unchanged(options, default_theme_dir(), inputs) if inputs else None
        if last is not None:
            warnings: tuple[object, ...] = last.warnings
            pages, articles = last.pages, last.articles
        else:
            from broadsheet.pipeline.build import build

            result = build(options, scan=inputs)
            warnings, pages, articles = result.warnings, result.pages, result.articles
    for warning in warnings:
        print(warning, file=sys.stderr)
    if not args.quiet:
        print(stamp.summary_line(pages, articles, time.perf_counter() - started))
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """`broadsheet serve`: runs until Ctrl-C (or SIGTERM), which ends it cleanly with status 0."""
    from broadsheet.preview.serve import PreviewSession, is_loopback

    options = BuildOptions(site_dir=args.site, output_dir=args.site / "public", drafts=args.drafts,
                           future=args.future)
    session = PreviewSession(options, args.bind, args.port, args.poll)
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
    print("Stopped.")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (docker stop, kill) ends the preview as Ctrl-C does."""
    raise KeyboardInterrupt


def run_check(args: argparse.Namespace) -> int:
    """`broadsheet check`: one line per problem; 1 on errors (with --strict, on warnings too)."""
    from broadsheet.pipeline.check import check

    result = check(build_options(args))
    for problem in result.problems:
        print(problem)
    if not args.quiet or result.problems:
        print(f"Checked {result.pages} pages: {result.errors} error{'s' * (result.errors != 1)}, "
              f"{result.warnings} warning{'s' * (result.warnings != 1)}.")
    return 1 if result.errors or (args.strict and result.warnings) else 0


def run_deploy(args: argparse.Namespace) -> int:
    """`broadsheet deploy`."""
    from broadsheet.cli.deploy import deploy_to_branch

    output = args.output or args.site / "public"
    commit = deploy_to_branch(output, args.site, args.branch, args.message, args.push, args.adopt)
    print(f"Deployed {output} to branch {args.branch} ({commit[:12]})" + (f", pushed to {args.push}" if args.push else ""))
    return 0


def run_new(args: argparse.Namespace) -> int:
    """`broadsheet new`."""
    from broadsheet.cli.scaffold import new_article
    from broadsheet.stages.config import load_config

    config = load_config(args.site)
    path = new_article(args.site, config, args.title, args.section, datetime.now(config.zone))
    print(path)
    return 0


def run_init(args: argparse.Namespace) -> int:
    """`broadsheet init`."""
    from broadsheet.cli.scaffold import init_site

    init_site(args.directory)
    print(f"Created a new site in {args.directory}. Build it with: broadsheet build --site {args.directory}")
    return 0


COMMANDS = {"build": run_build, "check": run_check, "serve": run_serve, "new": run_new, "init": run_init,
            "deploy": run_deploy}


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; user mistakes print one line per problem and return 1, without a traceback."""
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.debug or args.command == "serve":  # the modules that log; a build with nothing to do imports none
        import logging

        logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(message)s")
    try:
        return COMMANDS[args.command](args)
    except SiteError as error:
        if args.debug:
            import traceback

            traceback.print_exc()
        for problem in sorted(error.problems, key=lambda p: (p.path, p.line or 0)):
            print(problem, file=sys.stderr)
        errors = sum(not p.warning for p in error.problems)
        print(f"Failed: {errors} problem{'s' * (errors != 1)}; nothing was changed in the output.", file=sys.stderr)
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
