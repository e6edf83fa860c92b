"""Every file in static/ is published at its own path; CSS and JS also under a fingerprinted name for templates."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from badsite import article, good_site
from conftest import read_tree

from broadsheet.pipeline.build import build
from broadsheet.stages.config import BuildOptions

DATE = "date: 2024-03-02T09:00:00Z"
WRITTEN = "summary: Written by a person."
NOW = "2024-06-01T00:00"
BODY = "Read [the chart's code](/scripts/chart.js) and [its style](/styles/chart.css).\n"


def chart_site(root: Path) -> Path:
    return good_site(root, {
        "static/scripts/chart.js": "console.log('chart');\n",
        "static/styles/chart.css": "figure { margin: 0; }\n",
        "content/world/chart.md": article(f"title: Chart\n{DATE}\n{WRITTEN}", BODY),
    })


def options(site: Path, output: Path, **extra: object) -> BuildOptions:
    return BuildOptions(site_dir=site, output_dir=output, now=NOW, **extra)  # type: ignore[arg-type]


def test_a_body_may_link_css_and_js_at_their_own_path(tmp_path: Path, run_cli) -> None:
    site = chart_site(tmp_path / "site")
    checked = run_cli("check", "--site", str(site), "--now", NOW)
    assert checked.status == 0, checked.out
    assert "broken link" not in checked.out
    built = run_cli("build", "--site", str(site), "--now", NOW, "--quiet")
    assert built.status == 0, built.err
    out = site / "public"
    assert (out / "scripts/chart.js").read_text(encoding="utf-8") == "console.log('chart');\n"
    assert (out / "styles/chart.css").read_text(encoding="utf-8") == "figure { margin: 0; }\n"
    # The fingerprinted copies stay beside them, with the same bytes.
    [script] = [p for p in (out / "scripts").iterdir() if re.fullmatch(r"chart\.[0-9a-f]{10}\.js", p.name)]
    [style] = [p for p in (out / "styles").iterdir() if re.fullmatch(r"chart\.[0-9a-f]{10}\.css", p.name)]
    assert script.read_bytes() == (out / "scripts/chart.js").read_bytes()
    assert style.read_bytes() == (out / "styles/chart.css").read_bytes()


def test_templates_link_the_fingerprinted_name_and_the_plain_one_exists_too(tmp_path: Path, run_cli) -> None:
    site = chart_site(tmp_path / "site")
    assert run_cli("build", "--site", str(site), "--now", NOW, "--quiet").status == 0
    out = site / "public"
    page = (out / "world/chart/index.html").read_text(encoding="utf-8")
    [href] = re.findall(r'<link rel="stylesheet" href="/(style\.[0-9a-f]{10}\.css)">', page)
    assert (out / href).read_bytes() == (out / "style.css").read_bytes()


def test_a_broken_link_to_a_static_file_still_names_it(tmp_path: Path, run_cli) -> None:
    site = chart_site(tmp_path / "site")
    (site / "static/scripts/chart.js").unlink()
    result = run_cli("check", "--site", str(site), "--now", NOW)
    assert result.status == 1
    assert "broken link to /scripts/chart.js" in result.out
    assert "static files are published at their path under static/" in result.out


def test_an_incremental_build_after_a_css_edit_equals_a_clean_build(tmp_path: Path) -> None:
    site = chart_site(tmp_path / "site")
    build(options(site, site / "public"))
    (site / "static/styles/chart.css").write_text("figure { margin: 1em; }\n", encoding="utf-8")
    (site / "static/scripts/chart.js").unlink()
    build(options(site, site / "public"))
    shutil.rmtree(tmp_path / "clean", ignore_errors=True)
    build(options(site, tmp_path / "clean", no_cache=True))
    assert read_tree(site / "public") == read_tree(tmp_path / "clean")
    assert (site / "public/styles/chart.css").read_text(encoding="utf-8") == "figure { margin: 1em; }\n"
    assert not list((site / "public").glob("scripts/chart*"))
