"""Images and search at scale: build times with a photograph per article, what a phone downloads, Pagefind's cost.

    python3 benchmarks/photos.py                                   # 150 articles with photos, search at 2,000
    python3 benchmarks/photos.py --articles 1000 --search-articles 10000   # the issue's sizes (long: an hour)

Part 1 (images): a corpus of N articles (benchmarks/make_corpus.py), each with its own 3000×2000 JPEG lead image
(synthetic, with detail at every scale; or cut from a real photograph given with --photo, which gives truer byte
counts), built with the default settings (WebP copies at 480/720/1100/1600). Prints the cold build (empty
cache), a re-run with nothing changed, a body edit, and a cold build that keeps the cache (a fresh output folder:
CI); then the bytes a phone with a 360 px wide screen downloads for an article page (gzipped HTML and CSS, and the lead image the browser picks from srcset at 1x, 2x and 3x),
against the same page built with `images: false` (the camera JPEG itself).

Part 2 (search): a corpus of M articles without images, built with and without `search: true`: the cold builds,
Pagefind's own time on the built site, the size of pagefind/, and a body edit with search on.
"""

from __future__ import annotations

import argparse
import gzip
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from PIL import Image

SCREEN = 360  # CSS pixels
COLUMN = SCREEN - 32  # the theme's sizes attribute on a phone: calc(100vw - 2rem)


def corpus(articles: int, folder: Path, config: str) -> Path:
    subprocess.run([sys.executable, str(ROOT / "benchmarks/make_corpus.py"), "--articles", str(articles),
                    "--out", str(folder)], check=True, capture_output=True)
    (folder / "site.yaml").write_text(config, encoding="utf-8")
    return folder


def synthetic_photo(number: int) -> Image.Image:
    """A 3000×2000 picture with detail at every scale (noise at 1/256 to full resolution, larger scales stronger, as
    in photographs). Not a photograph: its copies are a guess at a photograph's sizes; --photo takes a real one."""
    channels = []
    for channel in range(3):
        picture = Image.new("L", (3000, 2000), 128)
        for scale, weight in ((256, 0.7), (64, 0.5), (16, 0.35), (4, 0.15), (1, 0.05)):
            noise = Image.effect_noise((max(2, 3000 // scale), max(2, 2000 // scale)), 60 + 8 * channel + number % 9)
            picture = Image.blend(picture, noise.resize((3000, 2000), Image.Resampling.BICUBIC), weight)
        channels.append(picture)
    return Image.merge("RGB", channels)


def from_photo(photo: Image.Image, number: int) -> Image.Image:
    """A 3000×2000 crop of a real photograph (scaled up where smaller), a different one for every article."""
    scale = max(3000 / photo.width, 2000 / photo.height) * (1 + (number % 10) / 50)
    large = photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.Resampling.LANCZOS)
    left, top = (number * 37) % (large.width - 2999), (number * 23) % (large.height - 1999)
    return large.crop((left, top, left + 3000, top + 2000))


def add_photos(site: Path, photo: Path | None) -> list[Path]:
    """A distinct 3000×2000 JPEG lead image for every article (synthetic, or cut from `photo`)."""
    (site / "static/images").mkdir(parents=True, exist_ok=True)
    sources = sorted((site / "content").rglob("*.md"))
    real = Image.open(photo).convert("RGB") if photo else None
    for number, source in enumerate(sources):
        name = f"photo-{number:05d}.jpg"
        picture = from_photo(real, number) if real else synthetic_photo(number)
        picture.save(site / "static/images" / name, quality=90)
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("---\n", f"---\nimage: images/{name}\nimage_alt: Photograph {number}\n", 1),
                          encoding="utf-8")
    return sources


def timed(site: Path, *options: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "broadsheet", "build", "--site", str(site), "--quiet", *options],
                   check=True, cwd=ROOT)
    return time.perf_counter() - started


def edit_body(source: Path) -> None:
    source.write_text(source.read_text(encoding="utf-8") + "\nOne more sentence, added by the benchmark.\n",
                      encoding="utf-8")


def phone_bytes(public: Path, page: Path) -> tuple[int, dict[int, tuple[str, int]]]:
    """Gzipped HTML + CSS of a page, and for 1x, 2x and 3x screens the lead image a browser picks and its bytes."""
    html = page.read_text(encoding="utf-8")
    css = b"".join((public / href.lstrip("/")).read_bytes()
                   for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', html))
    text = len(gzip.compress(html.encode(), mtime=0)) + len(gzip.compress(css, mtime=0))
    lead = re.search(r'<figure class="lead-image">(.*?)</figure>', html, re.S)
    assert lead is not None
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)"', lead.group(1))
    picks = {}
    for density in (1, 2, 3):
        if webp:
            candidates = [(int(w.rstrip("w")), url) for url, w in (c.split() for c in webp.group(1).split(", "))]
            _, url = next(((w, u) for w, u in sorted(candidates) if w >= COLUMN * density), max(candidates))
        else:
            url = re.search(r'src="([^"]+)"', lead.group(1)).group(1)  # type: ignore[union-attr]
        picks[density] = (url, (public / url.lstrip("/")).stat().st_size)
    return text, picks


def images_part(articles: int, scratch: Path, photo: Path | None) -> None:
    site = corpus(articles, scratch / "photos", "title: Photos\nbase_url: https://example.org/\n")
    started = time.perf_counter()
    sources = add_photos(site, photo)
    source_bytes = sum(p.stat().st_size for p in (site / "static/images").iterdir())
    print(f"{articles} articles, {articles} JPEGs of 3000×2000 ({source_bytes / articles / 1e6:.2f} MB each), "
          f"made in {time.perf_counter() - started:.0f} s")
    time.sleep(2.5)  # (files changed within 2 s of a build are read again by the next one: see stamp.RACY_NS)
    cold = timed(site)
    rerun = timed(site)
    edit_body(sources[len(sources) // 2])
    edit = timed(site)
    shutil.rmtree(site / "public")
    kept = timed(site)
    print(f"images on:  cold build {cold:.1f} s, no-change re-run {rerun:.2f} s, body edit {edit:.2f} s, "
          f"cold build with the cache kept {kept:.1f} s")
    public = site / "public"
    page = next(p for p in sorted(public.rglob("index.html")) if '<figure class="lead-image">' in p.read_text())
    text, picks = phone_bytes(public, page)
    for density, (url, size) in picks.items():
        print(f"  a 360 px phone at {density}x: HTML+CSS {text / 1024:.1f} KB gzipped + {url.rsplit('/', 1)[1]} "
              f"{size / 1024:.1f} KB = {(text + size) / 1024:.1f} KB")
    (site / "site.yaml").write_text("title: Photos\nbase_url: https://example.org/\nimages: false\n")
    off = timed(site, "--output", str(scratch / "plain"))
    text, picks = phone_bytes(scratch / "plain", scratch / "plain" / page.relative_to(public))
    url, size = picks[1]
    print(f"images off: cold build {off:.1f} s; the phone downloads HTML+CSS {text / 1024:.1f} KB + "
          f"{url.rsplit('/', 1)[1]} {size / 1024:.1f} KB = {(text + size) / 1024:.1f} KB at any density")


def search_part(articles: int, scratch: Path) -> None:
    from broadsheet.stages.search import run_pagefind

    config = "title: Search\nbase_url: https://example.org/\n"
    site = corpus(articles, scratch / "search", config)
    time.sleep(2.5)
    off = timed(site, "--no-cache", "--output", str(scratch / "no-search"))
    (site / "site.yaml").write_text(config + "search: true\n")
    on = timed(site)
    rerun = timed(site)
    edit_body(sorted((site / "content").rglob("*.md"))[articles // 2])
    edit = timed(site)
    started = time.perf_counter()
    run_pagefind(scratch / "no-search")
    alone = time.perf_counter() - started
    files = [p for p in (site / "public/pagefind").rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    print(f"{articles} articles: cold build {off:.1f} s without search, {on:.1f} s with; no-change re-run "
          f"{rerun:.2f} s, body edit {edit:.2f} s with search; Pagefind alone {alone:.1f} s; pagefind/ "
          f"{size / 1e6:.1f} MB in {len(files)} files")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=150, help="articles with photographs (default 150)")
    parser.add_argument("--search-articles", type=int, default=2000, help="articles indexed (default 2000)")
    parser.add_argument("--skip", choices=("images", "search"), help="leave one part out")
    parser.add_argument("--photo", type=Path, help="a real photograph to cut the lead images from (default: synthetic)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if args.skip != "images":
            images_part(args.articles, Path(scratch), args.photo)
        if args.skip != "search":
            search_part(args.search_articles, Path(scratch))


if __name__ == "__main__":
    main()
