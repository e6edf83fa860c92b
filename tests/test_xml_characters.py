"""Characters that XML 1.0 does not allow (U+0001, a vertical tab, a form feed, U+FFFE...) never reach the output:
in front matter (where only a YAML escape makes one) they are an error at their line; in bodies they are removed
with a warning. Every XML and JSON file of the output parses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from badsite import article, fails_cleanly, good_site, problem_lines
from lxml import etree

DATE = "date: 2024-03-02T09:00:00Z"
FORBIDDEN = ["\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\ufffe", "\uffff"]
HINT = "(remove the escape that makes it, such as \\v, \\f or \\x01)"


@pytest.mark.parametrize("front, line, key, code", [
    ('title: "Vote\\vcount"', 2, "title", "U+000B"),
    ('title: T\nsummary: "A\\fsummary"', 3, "summary", "U+000C"),
    ('title: T\ntags: [ok, "bad\\x01tag"]', 3, "tags", "U+0001"),
    ('title: T\nauthor: "Ann\\uFFFE"', 3, "author", "U+FFFE"),
    ('title: T\nsection: "Wor\\eld"', 3, "section", "U+001B"),
    ('title: T\nkicker: {inner: "x\\uFFFFy"}', 3, "kicker", "U+FFFF"),
])
def test_a_character_xml_does_not_allow_in_front_matter_is_an_error_at_its_line(
        tmp_path: Path, run_cli, front: str, line: int, key: str, code: str) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {"content/world/story.md": article(f"{front}\n{DATE}")})
    assert problem_lines(err) == [(f"content/world/story.md:{line}: '{key}' holds the character {code}, which XML "
                                  f"(feeds, sitemaps) does not allow {HINT}")]


def test_a_character_xml_does_not_allow_in_site_yaml_is_an_error_at_its_line(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {"site.yaml": 'title: Bad Input Daily\ndescription: "News\\x02"\n'})
    assert problem_lines(err) == [(f"site.yaml:2: 'description' holds the character U+0002, which XML (feeds, "
                                  f"sitemaps) does not allow {HINT}")]


def test_a_folder_whose_name_xml_does_not_allow_is_an_error(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {"content/wor\x01ld/story.md": article(f"title: T\n{DATE}")})
    assert "holds the character U+0001" in err and "rename the folder" in err


def _body(n: int) -> str:
    """A body with every forbidden character, in paragraphs, the lead, a list, a table, a heading, a footnote and
    as character references (which Markdown leaves as they are, but an automatic summary resolves)."""
    c = FORBIDDEN[n % len(FORBIDDEN)]
    return (f"Lead{c} with a line\x0bbreak from Word and a page\x0cbreak.\n\n<!--more-->\n\n## Head{c}ing\n\n"
            f"- item{c}\n- {''.join(FORBIDDEN)}\n\n| a{c} | b |\n|---|---|\n| 1 | 2{c} |\n\nNote[^1] &#12; &#xFFFE; "
            f"&#1;.\n\n[^1]: Foot{c}note.\n")


def test_bodies_lose_the_characters_with_a_warning_and_every_xml_and_json_file_parses(tmp_path: Path,
                                                                                       run_cli) -> None:
    files: dict[str, str | bytes] = {
        f"content/world/story-{n}.md": article(f"title: Story {n}\n{DATE}\ntags: [votes]", _body(n))
        for n in range(len(FORBIDDEN))}
    # An automatic summary (no <!--more-->) made of character references.
    files["content/world/refs.md"] = article(f"title: Refs\n{DATE}", "Form&#12;feed &#xFFFE; and &#x0B; too.\n")
    site = good_site(tmp_path / "site", files, "title: Bad Input Daily\nbase_url: https://example.org/\n"
                                               "feed_content: full\n")
    result = run_cli("build", "--site", str(site), "--quiet")
    assert result.status == 0, result.err
    warnings = result.err.splitlines()
    assert len(warnings) == len(FORBIDDEN)  # one per file, at the line of the first
    for n, code in enumerate(FORBIDDEN):
        assert (f"content/world/story-{n}.md:7: warning: characters that XML does not allow (" in warnings[n]
                and f"U+{ord(code):04X}" in warnings[n]), warnings
    output = site / "public"
    xml_files = [p for p in output.rglob("*.xml")]
    assert len(xml_files) >= 5  # feeds, the sitemaps
    for path in xml_files:
        etree.parse(str(path))  # raises on any character XML does not allow
    for path in output.rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))
    for path in output.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for script in re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S):
            json.loads(script)
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", text), path
    page = (output / "world/story-2/index.html").read_text(encoding="utf-8")
    assert "line break from Word and a page break" in page  # a vertical tab or form feed became a space
    again = run_cli("build", "--site", str(site), "--quiet")  # nothing changed: the warnings are said again
    assert again.err.splitlines() == warnings
