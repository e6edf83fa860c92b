"""The two Markdown engines (site.yaml `markdown:`): the same news features in both; the commonmark engine's
dialect end to end; the engine in the configuration, the cache's keys and new sites."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, write_tree
from htmlcheck import parse_file, parse_html

from broadsheet.base.errors import SiteError
from broadsheet.base.model import SourceLink
from broadsheet.stages.commonmark import CommonMarkRenderer
from broadsheet.stages.config import Config, load_config
from broadsheet.stages.content import parse_article
from broadsheet.stages.markup import MarkdownRenderer

ENGINES = ("python-markdown", "commonmark")
BOTH = pytest.mark.parametrize("engine", ENGINES)


def article(body: str, engine: str, front: str = "", **config: object):
    text = f"---\ntitle: T\ndate: 2024-01-01\n{front}---\n\n{body}"
    config = {"markdown": engine, **config}
    return parse_article("content/world/t.md", text.encode("utf-8"), Config(**config))  # type: ignore[arg-type]


# ---- the news features, on both engines


@BOTH
def test_typography_everywhere_but_code(engine: str) -> None:
    parsed = article('"Yes" -- it\'s \'done\'... --- `"x" -- y...`\n\n```\n"fenced" -- code...\n```\n', engine)
    page = parse_html(parsed.body_html)
    assert page.find("p").text() == "\u201cYes\u201d \u2013 it\u2019s \u2018done\u2019\u2026 \u2014 \"x\" -- y..."
    assert page.find("pre").text() == '"fenced" -- code...'


def test_escaped_quotes_stay_straight_in_commonmark() -> None:
    # (Python-Markdown has no escape for a quotation mark: there the backslash stays.)
    assert parse_html(article('He said \\"so\\".\n', "commonmark").body_html).text() == 'He said "so".'


@BOTH
def test_heading_ids_from_the_typeset_text_unique_and_apart_from_the_page(engine: str) -> None:
    parsed = article('## "Quoted" -- *heading*\n\nText.\n\n## "Quoted" -- *heading*\n\n# Main\n\n#Hashtag\n', engine)
    ids = [h.attrs.get("id") for h in parse_html(parsed.body_html).iter() if h.tag in ("h1", "h2")]
    assert ids[:3] == ["quoted-heading", "quoted-heading-2", "main-2"]


@BOTH
def test_links_to_content_files_are_resolved_later_and_the_rest_are_base_path_aware(engine: str) -> None:
    body = ("Intro.\n\nA [vote](../politics/vote.md#result), a [page](/world/kyiv/), an ![image](/img/a.png)\n"
            "and [elsewhere](https://example.org/x.md).\n")
    parsed = article(body, engine, base_url="https://example.org/news/")
    links = {a.text(): a.attrs.get("href") for a in parse_html(parsed.body_html).find_all("a")}
    assert links == {"vote": "broadsheet-source:content/politics/vote.md#result", "page": "/news/world/kyiv/",
                     "elsewhere": "https://example.org/x.md"}
    assert parse_html(parsed.body_html).find("img").attrs["src"] == "/news/img/a.png"
    assert parsed.article.links == (SourceLink("content/politics/vote.md", 8),)


@BOTH
@pytest.mark.parametrize("raw_html", [True, False])
def test_unsafe_targets_are_never_links(engine: str, raw_html: bool) -> None:
    parsed = article("[a](javascript:alert(1)) [b](JAVASCRIPT:x) ![c](data:text/html,hi) [d](ftp://files.example/)\n",
                     engine, raw_html=raw_html)
    page = parse_html(parsed.body_html)
    assert [a.attrs.get("href") for a in page.find_all("a")] == [None, None] + (["ftp://files.example/"] if raw_html
                                                                               else [None])
    assert "src" not in page.find("img").attrs


@BOTH
def test_raw_html_false_shows_raw_html_as_text(engine: str) -> None:
    parsed = article('Some <b onclick="x()">bold</b> text.\n\n<script>alert(1)</script>\n', engine, raw_html=False)
    assert "<b" not in parsed.body_html and "<script" not in parsed.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in parsed.body_html
    trusted = article('Some <b onclick="x()">bold</b> text.\n', engine)
    assert "<b onclick" in trusted.body_html


@BOTH
def test_front_matter_summary_is_untrusted(engine: str) -> None:
    parsed = article("Body.\n", engine, 'summary: "A [link](javascript:x) and <i onclick=x>tag</i> <u>u</u> -- '
                     '\\"quoted\\""\n')
    page = parse_html(parsed.article.summary_html)
    assert page.find("a").attrs.get("href") is None and page.find("i").attrs == {}  # (a safe element, kept)
    assert "<u" not in parsed.article.summary_html and "&lt;" not in parsed.article.summary_html
    assert page.text() == "A link and tag u \u2013 \u201cquoted\u201d"


@BOTH
def test_more_marker_lead_has_no_ids_and_no_footnote_markers(engine: str) -> None:
    parsed = article("## Key points\n\nThe lead[^1] paragraph.\n\n<!--more-->\n\n## Key points\n\nRest.\n\n"
                     "[^1]: A note.\n", engine)
    assert parsed.article.summary_html == "<h2>Key points</h2>\n<p>The lead paragraph.</p>"
    assert 'id="key-points"' in parsed.body_html and 'id="key-points-2"' in parsed.body_html
    assert "<!--more-->" not in parsed.body_html and "The lead" in parsed.body_html


@BOTH
def test_more_marker_in_code_is_code(engine: str) -> None:
    parsed = article("Lead.\n\n~~~\n<!--more-->\n~~~\n\nRest of the story.\n", engine)
    assert parsed.article.summary_html == "<p>Lead.</p><p>Rest of the story.</p>"


NEWS_BODY = """**MALMÖ** — Officials said on Tuesday that the plan -- first drafted in 2019 -- would "take time".
It's the *second* delay; costs rose by 12% to €4bn & counting, with `max_connections` set > 10.

Among the measures announced:

- A pilot scheme in [Kyiv](/world/kyiv/) in the spring
- A **freeze** on new contracts, see [the vote](../politics/vote.md)

> “We are not going to rush this.”

## What happens next

More text... and 'quotes'.

| Party | Seats |
|:------|------:|
| *Centre* | 41 |

```
code words here
```
"""


def test_both_engines_give_a_news_body_the_same_lead_words_and_links() -> None:
    default = MarkdownRenderer().body(NEWS_BODY, "content/world/t.md", "/news/")
    commonmark = CommonMarkRenderer().body(NEWS_BODY, "content/world/t.md", "/news/")
    assert commonmark.paragraphs == default.paragraphs
    assert commonmark.paragraphs[1:3] == ("Among the measures announced:", "A pilot scheme in Kyiv in the spring")
    assert commonmark.word_count == default.word_count
    assert commonmark.links == default.links == (("../politics/vote.md", "content/politics/vote.md"),)


@BOTH
def test_lead_paragraphs_are_top_level_paragraphs_and_list_items_up_to_the_first_heading(engine: str) -> None:
    body = ("> Quoted.\n\nFirst.\n\n- One\n- Two\n    - nested\n\n1. Three\n\n| a |\n|---|\n| cell |\n\n## Heading\n\n"
            "After.\n")
    summary = parse_html(article(body, engine).article.summary_html)
    assert [p.text() for p in summary.find_all("p")] == ["First.", "One", "Two nested", "Three"]


# ---- the time budget, on the commonmark engine (the default engine's: test_bounded_work.py)


@pytest.fixture
def spinning_commonmark(monkeypatch: pytest.MonkeyPatch) -> None:
    """A body holding SPIN-FOREVER never finishes rendering (the workers are forked: they inherit the patch)."""
    from broadsheet.incremental import pool
    from broadsheet.stages import commonmark

    assert pool.can_fork(), "this test needs workers forked from the test process"
    original = commonmark.CommonMarkRenderer.body

    def body(self: CommonMarkRenderer, text: str, source: str = "", base_path: str = "/") -> object:
        while "SPIN-FOREVER" in text:
            time.sleep(0.05)
        return original(self, text, source, base_path)

    monkeypatch.setattr(commonmark.CommonMarkRenderer, "body", body)


@pytest.mark.usefixtures("spinning_commonmark")
def test_the_render_budget_holds_with_the_commonmark_engine(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "site", {
        "site.yaml": "title: Bounded\nrender_timeout: 2\nmarkdown: commonmark\n",
        "content/news/fine.md": "---\ntitle: Fine\ndate: 2024-05-01\n---\n\nFine.\n",
        "content/news/spins.md": "---\ntitle: Spins\ndate: 2024-05-02\n---\n\nSPIN-FOREVER\n"})
    result = run_cli("build", "--site", str(site), "--jobs", "2")
    assert result.status == 1
    assert [line for line in result.err.splitlines()
            if line.startswith("content/news/spins.md:") and "took longer than 2 s to render" in line], result.err


# ---- the configuration, the cache, new sites


def test_the_engine_is_python_markdown_unless_site_yaml_says_otherwise(tmp_path: Path) -> None:
    assert load_config(tmp_path).markdown == "python-markdown"
    write_tree(tmp_path, {"site.yaml": "markdown: commonmark\n"})
    assert load_config(tmp_path).markdown == "commonmark"


def test_an_unknown_engine_is_one_error_naming_the_key_and_the_accepted_values(tmp_path: Path) -> None:
    write_tree(tmp_path, {"site.yaml": "title: T\nmarkdown: gfm\n"})
    with pytest.raises(SiteError) as error:
        load_config(tmp_path)
    [problem] = error.value.problems
    assert (problem.path, problem.line) == ("site.yaml", 2)
    assert problem.message == "'markdown' must be 'python-markdown' or 'commonmark', not 'gfm'"


def test_switching_engines_renders_every_article_again(tmp_path: Path, run_cli) -> None:
    files = {f"content/news/story-{n}.md": f"---\ntitle: Story {n}\ndate: 2024-05-0{n}\n---\n\nIt was ~~never~~ said.\n"
             for n in range(1, 6)}
    site = write_tree(tmp_path / "site", {"site.yaml": "title: Switch\n", **files})

    def struck() -> list[bool]:
        return ["<s>never</s>" in (site / f"public/news/story-{n}/index.html").read_text(encoding="utf-8")
                for n in range(1, 6)]

    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    assert struck() == [False] * 5
    write_tree(site, {"site.yaml": "title: Switch\nmarkdown: commonmark\n"})
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    assert struck() == [True] * 5
    write_tree(site, {"site.yaml": "title: Switch\n"})
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    assert struck() == [False] * 5


def test_another_version_of_markdown_it_parses_everything_again(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import markdown_it
    import sitegen

    from broadsheet.pipeline.build import build
    from broadsheet.stages.config import BuildOptions

    site = sitegen.write_site(tmp_path / "site", 6, "title: Versions\nmarkdown: commonmark\n")
    first = build(BuildOptions(site_dir=site, output_dir=site / "public"))
    monkeypatch.setattr(markdown_it, "__version__", "0.0-other")
    again = build(BuildOptions(site_dir=site, output_dir=site / "public"))
    assert (first.parsed, again.parsed) == (6, 6)


def test_new_sites_use_commonmark_and_the_sample_site_keeps_the_default(tmp_path: Path, run_cli) -> None:
    assert run_cli("init", str(tmp_path / "paper")).status == 0
    written = (tmp_path / "paper/site.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(written)["markdown"] == "commonmark"
    comment = written[:written.index("markdown: commonmark")].rsplit("\n\n", 1)[-1]
    assert "CommonMark" in comment and "python-markdown" in comment
    assert load_config(tmp_path / "paper").markdown == "commonmark"
    assert load_config(REPO_ROOT).markdown == "python-markdown"


# ---- the commonmark engine's dialect, end to end

DIALECT = """The rules changed today:
- a list right after a paragraph line
- with an item
  - nested by two spaces

```rust,ignore
# a comment, not a heading
let quote = "straight";
```

1. A step with a fence:

   ```toml=
   key = "value"
   ```

2. The next step.

It was ~~never~~ said, the line ends here\\
and goes on.

#Hashtag at the start of a line.

Read about the [`Future`] trait.

[`Future`]: https://doc.rust-lang.org/std/future/trait.Future.html
"""


def test_a_site_in_the_commonmark_dialect_builds_with_the_structure_its_writers_meant(tmp_path: Path,
                                                                                      run_cli) -> None:
    site = write_tree(tmp_path / "site", {
        "site.yaml": "title: Dialect\nmarkdown: commonmark\n",
        "content/news/dialect.md": f"---\ntitle: Dialect\ndate: 2024-05-01\n---\n\n{DIALECT}"})
    result = run_cli("build", "--site", str(site), "--quiet")
    assert result.status == 0, result.err
    page = parse_file(site / "public/news/dialect/index.html")
    body = page.find("div", class_="article-body")
    assert body.find("p").text() == "The rules changed today:"
    lists = body.find_all("ul")
    assert [li.text() for li in lists[0].find_all("li")][:2] == [
        "a list right after a paragraph line", "with an item nested by two spaces"]
    assert lists[1].find("li").text() == "nested by two spaces" and lists[1] in lists[0].iter()
    rust, toml = body.find_all("pre")
    # The info string's first word names the language, highlighted (rust,ignore: rust).
    assert rust.find("code").attrs["class"] == "language-rust" and rust.attrs["class"] == "highlight"
    assert rust.find("span", class_="s").text() == "\"straight\""
    assert rust.text() == '# a comment, not a heading let quote = "straight";'
    assert not body.find_all("h1")
    step = body.find("ol").find_all("li")[0]
    assert toml in step.iter() and toml.text() == 'key = "value"'
    assert body.find("s").text() == "never"
    assert body.find_all("br")
    assert any(p.text() == "#Hashtag at the start of a line." for p in body.find_all("p"))
    link = next(a for a in body.find_all("a") if a.find_all("code"))
    assert link.attrs["href"] == "https://doc.rust-lang.org/std/future/trait.Future.html"
    assert link.text() == "Future"


def test_the_default_engine_still_reads_its_own_dialect(tmp_path: Path, run_cli) -> None:
    # (The same file with the default engine: Python-Markdown's structure, as before; no output changes for sites
    # without the key.)
    site = write_tree(tmp_path / "site", {
        "site.yaml": "title: Dialect\n",
        "content/news/dialect.md": f"---\ntitle: Dialect\ndate: 2024-05-01\n---\n\n{DIALECT}"})
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    html = (site / "public/news/dialect/index.html").read_text(encoding="utf-8")
    assert "<s>" not in html and "~~never~~" in html
    assert "<p>The rules changed today:\n- a list right after a paragraph line" in html
