"""The README and the user guide stay true: short, linked, every site.yaml key documented, the test command the
one CI runs."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from conftest import REPO_ROOT

from broadsheet.stages.config import Config

DOCS = REPO_ROOT / "docs"
# Pages the user guide links that are written with their features on other branches (#24: the architecture); once
# merged they exist, and this list is emptied.
WRITTEN_ELSEWHERE: set[str] = set()


def _markdown_files() -> list[Path]:
    return [REPO_ROOT / "README.md", REPO_ROOT / "benchmarks" / "README.md", *sorted(DOCS.glob("*.md"))]


def test_the_readme_is_short() -> None:
    assert (REPO_ROOT / "README.md").stat().st_size < 12 * 1024


def test_the_readme_test_command_is_the_one_ci_runs() -> None:
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    [command] = re.findall(r"^if (.+); then$", ci.split("README test command", 1)[1], re.M)[:1]
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    contributing = readme.split("\n## Contributing\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", contributing, re.S)
    assert len(blocks) == 2 and blocks[1].endswith("&& " + command), blocks
    assert blocks[0].endswith("pip install -c constraints.txt -e . && python build.py")


def test_every_relative_link_leads_to_a_file_and_heading() -> None:
    broken = []
    for page in _markdown_files():
        text = page.read_text(encoding="utf-8")
        text = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))  # (examples, not links)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if path and not file.exists():
                if file.name not in WRITTEN_ELSEWHERE or file.parent != DOCS:
                    broken.append(f"{page.relative_to(REPO_ROOT)}: {target}")
                continue
            if anchor and file.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", file.read_text(encoding="utf-8"), re.M)
                slugs = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
                if anchor not in slugs:
                    broken.append(f"{page.relative_to(REPO_ROOT)}: {target} (no such heading)")
    assert broken == []


def test_the_index_lists_every_page() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in DOCS.glob("*.md"):
        if page.name != "index.md":
            assert f"]({page.name})" in index, page.name
    for name in WRITTEN_ELSEWHERE:
        assert f"]({name})" in index, name


def test_every_site_yaml_key_is_documented() -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    example = page.split("```yaml", 1)[1].split("```", 1)[0]
    documented = set(re.findall(r"^([a-z_]+):", example, re.M))
    not_keys = {"shortcodes"}  # (read from templates/shortcodes/, not from site.yaml)
    assert {f.name for f in fields(Config)} - not_keys - documented == set()


def test_the_sample_sites_guides_point_to_the_docs() -> None:
    for guide in sorted((REPO_ROOT / "content" / "guides").glob("*.md")):
        text = guide.read_text(encoding="utf-8")
        pages = re.findall(r"/docs/([a-z-]+\.md)", text)
        assert pages, guide.name
        assert all((DOCS / name).is_file() or name in WRITTEN_ELSEWHERE for name in pages), guide.name


def test_the_configuration_example_is_a_valid_site_yaml(tmp_path: Path) -> None:
    from broadsheet.stages.config import load_config

    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    (tmp_path / "site.yaml").write_text(page.split("```yaml\n", 1)[1].split("```", 1)[0], encoding="utf-8")
    config = load_config(tmp_path)
    assert config.params["social"] == {"mastodon": "@desk@example.social"}
    assert config.warnings == {"missing_summary": False}
