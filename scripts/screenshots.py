"""Screenshots of the sample site's seed article in the default theme, for the README.

    python3 scripts/screenshots.py            # writes docs/screenshot-desktop.png, -phone.png, -phone-dark.png
    python3 scripts/screenshots.py --out DIR

Builds the repository's own site into a temporary folder, serves it on 127.0.0.1 and photographs the article with
its summary toggle open in Debian's Chromium (see tests/tooling.py): a desktop window 1280 px wide, and a 360 px
phone in light and in dark mode. Run it again after changing templates/ or static/style.css.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from tooling import open_browser, serve_directory

from broadsheet.cli.main import main as broadsheet

ARTICLE = "world/russian-interior-minister-cuba-visit/"
#: (file name, viewport width, height shown, colour scheme, device pixel ratio)
SHOTS = (
    ("screenshot-desktop.png", 1280, 1000, "light", 1),
    ("screenshot-phone.png", 360, 1100, "light", 2),
    ("screenshot-phone-dark.png", 360, 1100, "dark", 2),
)


def take_screenshots(out_dir: Path) -> list[Path]:
    """Build the sample site, photograph the seed article with its summary open; return the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        public = Path(scratch) / "public"
        if broadsheet(["build", "--site", str(ROOT), "--output", str(public), "--quiet"]) != 0:
            raise SystemExit("the sample site did not build")
        with serve_directory(public) as base, open_browser() as browser:
            for name, width, height, scheme, scale in SHOTS:
                context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                                              device_scale_factor=scale, reduced_motion="reduce")
                try:
                    page = context.new_page()
                    page.goto(base + ARTICLE)
                    page.locator(".article-header details.summary-toggle > summary").click()
                    page.screenshot(path=str(out_dir / name))
                finally:
                    context.close()
                written.append(out_dir / name)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNG files (default: docs/)")
    for path in take_screenshots(parser.parse_args().out):
        print(path)


if __name__ == "__main__":
    main()
