#!/usr/bin/env python3
"""The per-article Markdown cost of each engine (site.yaml `markdown:`), Pygments' cost, and shortcodes' cost.

Usage::

    python benchmarks/markdown_engines.py [--articles 300] [--repeat 5]

Prints the median CPU time per article (time.process_time, the median of --repeat passes over all the bodies) of:
- the benchmark corpus's bodies (benchmarks/make_corpus.py: news prose, mostly in the subset both engines convert
  directly) through each engine;
- real posts using the full syntax (benchmarks/posts/: fenced code, nested lists, tables, footnotes), each engine
  with highlighting off and on;
- a code-heavy corpus (the corpus's bodies, each with four fenced blocks in four languages), each engine with
  highlighting off and on: the difference is Pygments' cost;
- the corpus's bodies with two shortcodes each (a figure and a related card), the whole per-article stage
  (content.parse_article) with and without them;
- what Broadsheet's own inline and block loops save over Python-Markdown's (stages/markup.py replaces them, on the
  pinned version only): every body through Python-Markdown, none converted directly, with Broadsheet's loops and with
  the library's own (`all_patterns=True`, as the differential tests run it).
"""

from __future__ import annotations

import argparse
import functools
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from typography import bodies

from broadsheet.stages.commonmark import CommonMarkRenderer
from broadsheet.stages.config import Config
from broadsheet.stages.content import parse_article
from broadsheet.stages.markup import MarkdownRenderer

_FRONT = re.compile(r"\A(?:---\n.*?\n---|\+\+\+\n.*?\n\+\+\+)\n", re.DOTALL)
CODE = {
    "python": 'def total(items):\n    """Sum the prices."""\n    return sum(item.price for item in items)  # euros\n',
    "js": "const total = (items) => items.reduce((sum, item) => sum + item.price, 0);\nconsole.log(total([]));\n",
    "rust,ignore": "fn total(items: &[Item]) -> u32 {\n    items.iter().map(|i| i.price).sum()\n}\n",
    "yaml": "title: Broadsheet\nbase_url: https://news.example.org/\nmarkdown: commonmark\nhighlight: true\n",
}


def real_posts() -> list[str]:
    """The bodies of benchmarks/posts/."""
    return [_FRONT.sub("", p.read_text(encoding="utf-8")) for p in sorted((HERE / "posts").glob("*.md")) if p.name != "README.md"]


def code_heavy(texts: list[str]) -> list[str]:
    """Each body with a fenced block in each language of CODE after its first paragraph."""
    fences = "\n\n".join(f"```{info}\n{code}```" for info, code in CODE.items())
    return [text.replace("\n\n", f"\n\n{fences}\n\n", 1) for text in texts]


def per_article(render: Callable[[str], object], texts: list[str], repeat: int) -> float:
    """Median CPU seconds per article of `render` over texts."""
    for text in texts[:5]:
        render(text)  # (warm: imports, caches)
    passes = []
    for _ in range(repeat):
        started = time.process_time()
        for text in texts:
            render(text)
        passes.append((time.process_time() - started) / len(texts))
    return statistics.median(passes)


def engines(highlight: bool) -> dict[str, Callable[[str], object]]:
    return {"python-markdown": MarkdownRenderer(highlight=highlight).body,
            "commonmark": CommonMarkRenderer(highlight=highlight).body}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    corpus = bodies(args.articles)
    posts = real_posts()
    coded = code_heavy(corpus)
    rows: list[tuple[str, str, float]] = []
    for engine, render in engines(True).items():
        rows.append(("benchmark corpus", engine, per_article(render, corpus, args.repeat)))
    for name, texts in ((f"real posts ({len(posts)}, full syntax)", posts), ("code-heavy corpus (4 fences)", coded)):
        for highlight in (False, True):
            for engine, render in engines(highlight).items():
                rows.append((f"{name}, highlight {'on' if highlight else 'off'}", engine,
                             per_article(render, texts, args.repeat)))
    from broadsheet.stages.shortcodes import shortcode_templates
    from broadsheet.stages.theme import default_theme_dir

    templates = shortcode_templates(default_theme_dir(), default_theme_dir())
    shortcoded = [text.replace("\n\n", '\n\n{{< figure src="/images/a.jpg" alt="A photo" caption="The scene" >}}'
                               '\n\n{{< related "other.md" title="Earlier" >}}\n\n', 1) for text in corpus]
    for engine in ("python-markdown", "commonmark"):
        config = Config(markdown=engine, shortcodes=templates)
        for name, texts in (("per-article stage, no shortcodes", corpus), ("per-article stage, 2 shortcodes", shortcoded)):
            files = [f"---\ntitle: T\ndate: 2024-01-01\n---\n\n{text}".encode() for text in texts]
            stage = functools.partial(parse_article, "content/world/a.md", config=config)
            rows.append((name, engine, per_article(stage, files, args.repeat)))  # type: ignore[arg-type]
    for name, texts in (("corpus, all through Python-Markdown", corpus), (f"real posts ({len(posts)})", posts)):
        for label, all_patterns in (("Broadsheet's loops", False), ("library's own loops", True)):
            render = MarkdownRenderer(subset=False, all_patterns=all_patterns, highlight=False).body
            rows.append((f"{name}, {label}", "python-markdown", per_article(render, texts, args.repeat)))
    print(f"{'what':<56} {'engine':<16} {'ms/article':>10}")
    for what, engine, seconds in rows:
        print(f"{what:<56} {engine:<16} {seconds * 1000:>10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
