#!/usr/bin/env python3
"""A reference for a cold build: the least a Python pipeline does to turn the corpus into pages.

Usage (in a corpus made by make_corpus.py; `run.py --tools minimal` runs it beside the others)::

    python benchmarks/minimal_pipeline.py [--renderer extra|broadsheet] [--jobs 2]

Two worker processes read each content file, load its front matter with PyYAML's CSafeLoader, convert its body with
one reused Python-Markdown instance (`extra`; or with `--renderer broadsheet`, Broadsheet's MarkdownRenderer), render
a small Jinja2 page and write it to public/<section>/<slug>/index.html; the parent writes a home page of the 20
newest. No cache, no index, no lists, feeds, metadata or links between pages: what is left of a build's time once
those are taken away, to compare Broadsheet's own cold build with.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import jinja2
import markdown
import yaml

PAGE = jinja2.Environment(autoescape=True).from_string(
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head><body>\n'
    "<article><h1>{{ title }}</h1><p><time>{{ date }}</time></p>\n"
    "{% if summary %}<details><summary>No time to read? Get a summary</summary><p>{{ summary }}</p></details>"
    "{% endif %}\n{{ body|safe }}</article></body></html>\n")
OUTPUT = Path("public")

_convert: Any = None


def _start(renderer: str) -> None:
    """Each worker's one Markdown converter."""
    global _convert
    if renderer == "broadsheet":
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from broadsheet.stages.markup import renderer as broadsheet_renderer

        convert = broadsheet_renderer(True)
        def _convert(text):
            return convert.body(text).html
    else:
        md = markdown.Markdown(extensions=["extra"])
        def _convert(text):
            return md.reset().convert(text)


def build_page(path: str) -> tuple[str, str, str]:
    """Turn one content file into its page; return what the home page lists of it (date, title, URL)."""
    text = Path(path).read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    meta = yaml.load(front, Loader=yaml.CSafeLoader) or {}
    html = _convert(body)
    url = f"{Path(path).parent.name}/{Path(path).stem}/"
    folder = OUTPUT / url
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(PAGE.render(title=meta.get("title"), date=meta.get("date"),
                                                   summary=meta.get("summary"), body=html), encoding="utf-8")
    return str(meta.get("date")), str(meta.get("title")), url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renderer", choices=("extra", "broadsheet"), default="extra")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    shutil.rmtree(OUTPUT, ignore_errors=True)
    paths = sorted(str(p) for p in Path("content").rglob("*.md"))
    with Pool(args.jobs, initializer=_start, initargs=(args.renderer,)) as pool:
        listed = pool.map(build_page, paths, chunksize=16)
    newest = sorted(listed, reverse=True)[:20]
    items = "".join(f'<li><a href="{url}">{title}</a></li>' for _, title, url in newest)
    (OUTPUT / "index.html").write_text(f"<!DOCTYPE html>\n<ul>{items}</ul>\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
