"""Page weight in the default theme: an article page's HTML plus its CSS, before compression (budget: 30 KB).

    python3 benchmarks/page_weight.py                 # the sample site and a generated site of 200 articles
    python3 benchmarks/page_weight.py --articles 1000

Builds both sites into a temporary folder and prints, for the seed article, for the other sample articles and for
the generated articles: HTML bytes, CSS bytes, their sum, and the same gzip-compressed, as hosts serve them.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from sitegen import write_site

from broadsheet.cli.main import main as broadsheet

BUDGET = 30 * 1024
SEED = "world/russian-interior-minister-cuba-visit/index.html"


def weigh(page: Path, public: Path) -> tuple[int, int, int]:
    """(HTML bytes, CSS bytes, gzipped HTML + CSS bytes) of one page and the stylesheets it links."""
    html = page.read_bytes()
    hrefs = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html.decode("utf-8"))
    sheets = [public / href.lstrip("/") for href in hrefs]
    css = b"".join(sheet.read_bytes() for sheet in sheets)
    return len(html), len(css), len(gzip.compress(html, mtime=0)) + len(gzip.compress(css, mtime=0))


def article_pages(public: Path) -> list[Path]:
    return sorted(p for p in public.rglob("index.html") if b'<article class="article">' in p.read_bytes())


def report(label: str, public: Path, pages: list[Path]) -> bool:
    weights = [weigh(page, public) for page in pages]
    totals = [html + css for html, css, _ in weights]
    largest = max(range(len(pages)), key=lambda i: totals[i])
    html, css, zipped = weights[largest]
    print(f"{label}: {len(pages)} pages; HTML + CSS median {statistics.median(totals) / 1024:.1f} KB, "
          f"largest {totals[largest] / 1024:.1f} KB ({html} B HTML + {css} B CSS; {zipped / 1024:.1f} KB gzipped) "
          f"at {pages[largest].relative_to(public).parent}/")
    return max(totals) < BUDGET


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=200, help="articles in the generated site (default 200)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        sample = Path(scratch) / "sample"
        generated = write_site(Path(scratch) / "generated", args.articles)
        for site, output in ((ROOT, sample), (generated, generated / "public")):
            if broadsheet(["build", "--site", str(site), "--output", str(output), "--quiet"]) != 0:
                raise SystemExit(f"{site} did not build")
        html, css, zipped = weigh(sample / SEED, sample)
        print(f"seed article: {html} B HTML + {css} B CSS = {(html + css) / 1024:.1f} KB "
              f"({zipped / 1024:.1f} KB gzipped); budget {BUDGET // 1024} KB")
        within = report("sample articles", sample, article_pages(sample))
        within &= report("generated articles", generated / "public", article_pages(generated / "public"))
    print("within budget" if within else "OVER BUDGET")
    if not within:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
