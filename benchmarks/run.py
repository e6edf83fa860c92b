#!/usr/bin/env python3
"""Time Broadsheet's builds, and the same corpus through Hugo, Pelican and Eleventy where they are installed.

Usage::

    python benchmarks/run.py --articles 1000 [--rounds 3] [--work /tmp/broadsheet-bench] [--tools broadsheet,hugo,...]

For each tool it generates the corpus once (benchmarks/make_corpus.py), then, in each round, runs a cold build
(output and caches removed), a re-run with nothing changed, a re-run after appending a sentence to one article's
body, one after changing that article's title, one after appending another sentence (a later edit: for Broadsheet the
first edit after a cold build also links every unchanged page into a new folder, which later ones do not), and one
after changing the template of the article pages. The tools take turns within a round, in a rotated order, so
that a machine whose speed drifts treats them alike; the ratios to Hugo are taken round by round. Every build runs
in its own process; its wall time is time.perf_counter() around it and its peak memory the largest resident set of
any one process it waited for (resource.getrusage of a fresh measuring process).

Tools: `broadsheet` is this checkout with its default theme (article pages, paginated home and section lists, 404) and
its cache; `broadsheet-commonmark` is the same with `markdown: commonmark` in site.yaml (the corpus's bodies through
markdown-it-py rather than Python-Markdown); `broadsheet-lean` is the same corpus with the work the peers do (article
pages with the markup of Hugo's page template in make_corpus.py, and one home page listing the 20 newest; the section
lists are single pages; the feeds, sitemaps and tag and author pages Broadsheet always makes stay on); `minimal`, only when asked for, is
the least a Python pipeline does with the corpus (minimal_pipeline.py: front matter, Markdown `extra`, a Jinja2 page,
two processes, no cache: every re-run is a whole build); `hugo`, `pelican` (content cache on) and `eleventy`
(`--incremental` on re-runs) are found on PATH, or given with --hugo, --pelican, --eleventy.

`--drop-caches` (Linux, as root) starts every build from the same state of the page cache: it writes the file
system's dirty data, drops the page cache (/proc/sys/vm/drop_caches) and reads back the tool's site folder and its
installation (the executable's environment, Python's standard library, Node). On some machines the file system
slows with every few thousand files made and removed until the page cache is dropped (on the 2-core machine of the
README, linking 16,000 pages into new folders took 0.3 s after a drop and 0.4 s longer each time it was repeated),
and then a build's time depends on how many files the builds before it made.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
KINDS = ("cold", "no change", "one edit", "title edit", "later edit", "template edit")
LEAN_CONFIG = "title: The Broadsheet (benchmark)\nbase_url: https://news.example.org/\nper_page: 1000000\n"
COMMONMARK_CONFIG = "markdown: commonmark\n"
LEAN_LIST = """{% extends "base.html" %}
{% block main %}
<h1>{{ listing.title }}</h1>
<ul>
{% for item in articles[:20] %}<li><a href="{{ item.url }}">{{ item.title }}</a></li>
{% endfor %}</ul>
{% endblock %}
"""
# The article page of the lean site: the markup of Hugo's single.html in make_corpus.py (title, dateline, the summary
# toggle, the body, the neighbours), so that both tools render the same page; the default theme's article page adds
# a header, a footer, metadata for search engines and social cards, and related articles.
LEAN_ARTICLE = """<!doctype html>
<html lang="{{ site.language }}">
<head><meta charset="utf-8"><title>{{ article.title }}</title></head>
<body>
<article>
<h1>{{ article.title }}</h1>
<p class="meta"><time datetime="{{ article.date|isodate }}">{{ article.date|longdate }}</time> · {{ article.authors|join(', ') }} · {{ article.section }}</p>
{% if article.summary_html %}<details class="summary"><summary>{{ labels.summary_toggle }}</summary>{{ article.summary_html|safe }}</details>{% endif %}
{{ body|safe }}
</article>
<nav class="prev-next">
{% if older %}<a rel="prev" href="{{ older.url }}">← {{ older.title }}</a>{% endif %}
{% if newer %}<a rel="next" href="{{ newer.url }}">{{ newer.title }} →</a>{% endif %}
</nav>
</body>
</html>
"""


@dataclass
class Tool:
    """How to build, and clean, one tool's copy of the corpus."""

    name: str
    corpus_format: str
    command: list[str]
    rerun: list[str]
    outputs: tuple[str, ...]  # folders removed before a cold build (outputs and caches)
    article_template: str  # the template of the article pages, in the site
    env: dict[str, str] = field(default_factory=dict)
    code: tuple[Path, ...] = ()  # the tool's own code where its installation is not (see installation)


def installation(command: list[str]) -> list[Path]:
    """The files and folders a command's program is loaded from: the environment its executable lives in (a virtual
    environment, node_modules; else the executable alone), Python's standard library and site-packages, and Node."""
    executable = Path(shutil.which(command[0]) or command[0]).absolute()  # (a virtual environment's python is a link)
    paths = sysconfig.get_paths()
    folders = [executable, *dict.fromkeys(Path(paths[name]) for name in ("stdlib", "purelib", "platlib"))]
    if (executable.parent.parent / "pyvenv.cfg").is_file():
        folders[0] = executable.parent.parent
    elif "node_modules" in executable.parts:
        folders[0] = Path(*executable.parts[:executable.parts.index("node_modules") + 1])
        node = shutil.which("node")
        if node:
            folders.append(Path(node).resolve())
    return folders


def drop_caches(folders: list[Path]) -> None:
    """Write dirty data, drop the page cache, then read every file under folders back into it."""
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("1\n", encoding="ascii")
    for folder in folders:
        paths = [folder] if folder.is_file() else (p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
        for path in paths:
            try:
                with open(path, "rb") as file:
                    while file.read(1 << 20):
                        pass
            except OSError:
                pass


def measure(command: list[str], cwd: Path, env: dict[str, str], warm: list[Path] | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one build, measured by a fresh process that runs it; with `warm`, after
    dropping the page cache and reading those folders back (see drop_caches)."""
    if warm is not None:
        drop_caches([cwd, *warm])
    probe = [sys.executable, str(Path(__file__).resolve()), "--probe", "--", *command]
    done = subprocess.run(probe, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures["wall"], figures["rss_mb"]


def probe(command: list[str]) -> int:
    """Run command, print its wall time and the peak RSS of the largest process it waited for."""
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        return done.returncode
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    print(json.dumps({"wall": wall, "rss_mb": rss_kb / 1024}))
    return 0


def find_tools(args: argparse.Namespace) -> list[Tool]:
    """The tools asked for that are installed."""
    python_path = {"PYTHONPATH": str(REPO)}
    broadsheet = [sys.executable, "-m", "broadsheet", "build", "--site", ".", "--quiet"]
    if args.jobs:
        broadsheet += ["--jobs", str(args.jobs)]
    tools = {
        "broadsheet": Tool("broadsheet", "broadsheet", broadsheet, broadsheet, ("public", ".broadsheet-cache"),
                           "templates/article.html", python_path, (REPO / "broadsheet",)),
        "broadsheet-commonmark": Tool("broadsheet-commonmark", "broadsheet", broadsheet, broadsheet,
                                      ("public", ".broadsheet-cache"), "templates/article.html", python_path,
                                      (REPO / "broadsheet",)),
        "broadsheet-lean": Tool("broadsheet-lean", "broadsheet", broadsheet, broadsheet,
                                ("public", ".broadsheet-cache"), "templates/article.html", python_path,
                                (REPO / "broadsheet",)),
    }
    # A reference: the least a Python pipeline does (see minimal_pipeline.py), on the same corpus.
    minimal = [sys.executable, str(HERE / "minimal_pipeline.py")]
    tools["minimal"] = Tool("minimal", "broadsheet", minimal, minimal, ("public",), "", {},
                            (REPO / "broadsheet", HERE / "minimal_pipeline.py"))
    hugo = args.hugo or shutil.which("hugo")
    if hugo:
        tools["hugo"] = Tool("hugo", "hugo", [hugo, "--quiet"], [hugo, "--quiet"], ("public", "resources"),
                             "layouts/_default/single.html")
    pelican = args.pelican or shutil.which("pelican")
    if pelican:
        command = [pelican, "-s", "cacheconf.py", "-q"]
        tools["pelican"] = Tool("pelican", "pelican", command, command, ("output", "cache", "__pycache__"),
                                "theme/templates/article.html")
    eleventy = args.eleventy or shutil.which("eleventy")
    if eleventy:
        tools["eleventy"] = Tool("eleventy", "eleventy", [eleventy, "--quiet"], [eleventy, "--quiet", "--incremental"],
                                 ("_site", ".cache"), "content/_includes/article.njk")
    wanted = args.tools.split(",") if args.tools else [name for name in tools if name != "minimal"]
    missing = [name for name in wanted if name not in tools]
    if missing:
        print(f"not installed, left out: {', '.join(missing)}", file=sys.stderr)
    return [tools[name] for name in wanted if name in tools]


def prepare(tool: Tool, articles: int, work: Path) -> Path:
    """The tool's copy of the corpus, generated on first use."""
    site = work / f"{tool.name}-{articles}"
    if not site.is_dir():
        subprocess.run([sys.executable, str(HERE / "make_corpus.py"), "--articles", str(articles), "--out", str(site),
                        "--format", tool.corpus_format], check=True)
    if tool.name == "broadsheet-commonmark":
        (site / "site.yaml").write_text(COMMONMARK_CONFIG, encoding="utf-8")
    if tool.name == "broadsheet-lean":
        (site / "site.yaml").write_text(LEAN_CONFIG, encoding="utf-8")
        (site / "templates").mkdir(exist_ok=True)
        (site / "templates/list.html").write_text(LEAN_LIST, encoding="utf-8")
        (site / "templates/article.html").write_text(LEAN_ARTICLE, encoding="utf-8")
    return site


def edit_article(site: Path, round_number: int, title: bool) -> None:
    """Change one article in the middle of the corpus: append a sentence to its body, or change its title."""
    files = sorted((site / "content").rglob("*.md"))
    files = [f for f in files if not f.name.startswith(("_", "index"))]
    path = files[len(files) // 2]
    text = path.read_text(encoding="utf-8")
    if title:
        text = re.sub(r"^(title|Title): .*$", rf"\1: Edited headline, round {round_number}", text, count=1,
                      flags=re.MULTILINE)
    else:
        text += f"\nA sentence added in round {round_number}.\n"
    path.write_text(text, encoding="utf-8")


def edit_template(tool: Tool, site: Path, round_number: int) -> None:
    """Change the template of the article pages: a comment before its <article> element. (Broadsheet's sites use
    the default theme: the site gets its own copy of article.html first.)"""
    path = site / tool.article_template
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / "templates/article.html", path)
    text = path.read_text(encoding="utf-8")
    if "<article" not in text:
        raise SystemExit(f"{path} has no <article> element to edit before")
    path.write_text(text.replace("<article", f"<!-- template edit, round {round_number} --><article", 1),
                    encoding="utf-8")


def run_round(tool: Tool, site: Path, round_number: int, drop: bool = False) -> dict[str, tuple[float, float]]:
    """One round of the builds (see KINDS); with `drop`, each after dropping the page cache (see drop_caches)."""
    for name in tool.outputs:
        shutil.rmtree(site / name, ignore_errors=True)
    warm = [*installation(tool.command), *tool.code] if drop else None
    figures = {"cold": measure(tool.command, site, tool.env, warm)}
    figures["no change"] = measure(tool.rerun, site, tool.env, warm)
    edit_article(site, round_number, title=False)
    figures["one edit"] = measure(tool.rerun, site, tool.env, warm)
    edit_article(site, round_number, title=True)
    figures["title edit"] = measure(tool.rerun, site, tool.env, warm)
    edit_article(site, round_number, title=False)
    figures["later edit"] = measure(tool.rerun, site, tool.env, warm)
    if tool.article_template:
        edit_template(tool, site, round_number)
    figures["template edit"] = measure(tool.rerun, site, tool.env, warm)
    return figures


def report(results: dict[str, list[dict[str, tuple[float, float]]]], articles: int) -> str:
    """A Markdown table of medians, ratios to Hugo (round by round) and peak RSS."""
    lines = [f"### {articles:,} articles, medians of {max(len(r) for r in results.values())} rounds",
             "", "| tool | " + " | ".join(KINDS) + " | cold ÷ Hugo | peak RSS |",
             "|---|" + "---:|" * (len(KINDS) + 2)]
    hugo = results.get("hugo")
    for name, rounds in results.items():
        cells = [f"{statistics.median(r[kind][0] for r in rounds):.2f} s" for kind in KINDS]
        ratio = "—"
        if hugo and name != "hugo":
            pairs = [r["cold"][0] / h["cold"][0] for r, h in zip(rounds, hugo, strict=False)]
            ratio = f"{statistics.median(pairs):.2f}×"
        rss = max(r[kind][1] for r in rounds for kind in KINDS)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratio} | {rss:.0f} MB |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Generate the corpora, run the rounds, print the table."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["--probe", "--"]:
        return probe(argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/broadsheet-bench"), help="where corpora are kept")
    parser.add_argument("--tools", help="comma-separated: broadsheet,broadsheet-commonmark,broadsheet-lean,minimal,hugo,pelican,eleventy")
    parser.add_argument("--jobs", type=int, help="Broadsheet's --jobs (default: one per processor)")
    parser.add_argument("--hugo")
    parser.add_argument("--pelican")
    parser.add_argument("--eleventy")
    parser.add_argument("--drop-caches", action="store_true",
                        help="drop the page cache before each build and read the tool's files back (Linux, as root)")
    args = parser.parse_args(argv)
    if args.drop_caches and not os.access("/proc/sys/vm/drop_caches", os.W_OK):
        parser.error("--drop-caches needs Linux and the right to write /proc/sys/vm/drop_caches (root)")
    tools = find_tools(args)
    args.work.mkdir(parents=True, exist_ok=True)
    sites = {tool.name: prepare(tool, args.articles, args.work) for tool in tools}
    results: dict[str, list[dict[str, tuple[float, float]]]] = {tool.name: [] for tool in tools}
    for number in range(args.rounds):
        order = tools[number % len(tools):] + tools[: number % len(tools)]
        for tool in order:
            figures = run_round(tool, sites[tool.name], number, args.drop_caches)
            results[tool.name].append(figures)
            print(f"round {number + 1} {tool.name}: " + ", ".join(f"{k} {v[0]:.2f} s" for k, v in figures.items()),
                  file=sys.stderr, flush=True)
    print(report(results, args.articles))
    return 0


if __name__ == "__main__":
    sys.exit(main())
