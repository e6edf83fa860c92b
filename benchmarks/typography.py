#!/usr/bin/env python3
"""What typographic quotes and dashes cost: Broadsheet's treeprocessor against Python-Markdown's smarty.

Usage::

    python benchmarks/typography.py [--articles 300] [--repeat 5]

Renders the bodies of a generated corpus with Python-Markdown `extra` + `sane_lists` four ways — no typography,
Broadsheet's NewsExtension without and with typography, and smarty instead — and as Broadsheet does (its
MarkdownRenderer: NewsExtension, trying only the inline patterns and block tests a text can need; and bodies written
in the common subset of Markdown converted without Python-Markdown), and prints the median time per article of each
(CPU time of this process), the median of --repeat passes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import markdown

from broadsheet.stages.markup import MarkdownRenderer, NewsExtension


def bodies(count: int) -> list[str]:
    """The Markdown bodies of a generated corpus."""
    import make_corpus

    with tempfile.TemporaryDirectory() as folder:
        make_corpus.main(["--articles", str(count), "--out", str(Path(folder) / "corpus")])
        texts = [p.read_text(encoding="utf-8") for p in sorted(Path(folder).rglob("*.md"))]
    return [text.split("\n---\n", 1)[1] for text in texts]


def timer(extensions: list[object]) -> Callable[[str], str]:
    """A reused Markdown instance with these extensions, reset between documents."""
    md = markdown.Markdown(extensions=["extra", "sane_lists", *extensions], output_format="html")

    def render(text: str) -> str:
        md.reset()
        return md.convert(text)

    return render


def broadsheet_body(subset: bool = True) -> Callable[[str], str]:
    """The renderer Broadsheet parses bodies with; with `subset`, as Broadsheet uses it (see markup.subset_body)."""
    renderer = MarkdownRenderer(subset=subset)
    return lambda text: renderer.body(text).html


def main() -> int:
    """Print the per-article cost of each way."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    texts = bodies(args.articles)
    ways = {
        "extra, no typography": timer([]),
        "extra + NewsExtension(typography=False)": timer([NewsExtension(typography=False)]),
        "extra + NewsExtension (Broadsheet)": timer([NewsExtension()]),
        "extra + smarty": timer(["smarty"]),
        "Broadsheet's MarkdownRenderer through Python-Markdown (NewsExtension, only the patterns and block tests "
        "needed)": broadsheet_body(subset=False),
        "Broadsheet's MarkdownRenderer (the common subset converted directly, the rest as above)": broadsheet_body(),
    }
    passes: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.repeat):
        order = list(ways.items())
        random.shuffle(order)  # alternate, so drift on a busy machine hits every way alike
        for name, render in order:
            started = time.process_time()  # CPU time: fairer than wall time on a shared machine
            for text in texts:
                render(text)
            passes[name].append((time.process_time() - started) / len(texts))
    base = statistics.median(passes["extra, no typography"])
    print(f"| Markdown of one article ({len(texts)} articles, median of {args.repeat} passes) | time | vs no typography |")
    print("|---|---:|---:|")
    for name, times in passes.items():
        median = statistics.median(times)
        print(f"| {name} | {median * 1000:.2f} ms | {median / base:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
