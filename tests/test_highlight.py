"""Code highlighting with Pygments (site.yaml `highlight`), in both Markdown engines."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO_ROOT, write_tree
from htmlcheck import parse_file, parse_html

from broadsheet.config import Config, load_config
from broadsheet.content import parse_article
from broadsheet.tasks import library_versions

ENGINES = ("python-markdown", "commonmark")
BOTH = pytest.mark.parametrize("engine", ENGINES)


def body_html(body: str, engine: str, **config: object) -> str:
    text = f"---\ntitle: T\ndate: 2024-01-01\n---\n\n{body}"
    return parse_article("content/world/t.md", text.encode(), Config(markdown=engine, **config)).body_html  # type: ignore[arg-type]


@BOTH
def test_fenced_code_naming_a_language_is_highlighted_with_classes_not_styles(engine: str) -> None:
    html = body_html('Text.\n\n```python\ndef greet(name):\n    return "hi " + name  # say it\n```\n', engine)
    pre = parse_html(html).find("pre")
    assert pre.attrs == {"class": "highlight"} and pre.find("code").attrs == {"class": "language-python"}
    assert pre.find("span", class_="k").text() == "def" and pre.find("span", class_="nf").text() == "greet"
    assert pre.find("span", class_="c1").text() == "# say it"
    assert pre.text() == 'def greet(name): return "hi " + name # say it'  # (the code as written, whitespace aside)
    assert "style=" not in html and "<script" not in html
    assert "\u201c" not in pre.text()  # (no typography in code)


@BOTH
def test_the_language_is_the_info_strings_first_word(engine: str) -> None:
    html = body_html("```rust,ignore\nfn main() {}\n```\n\n```toml=\nkey = 1\n```\n", engine)
    if engine == "python-markdown":  # (its dialect reads neither as a fence: use the commonmark engine)
        return
    rust, toml = parse_html(html).find_all("pre")
    assert rust.find("code").attrs["class"] == "language-rust" and rust.find("span", class_="k").text() == "fn"
    assert toml.find("code").attrs["class"] == "language-toml" and toml.find("span", class_="n").text() == "key"


@BOTH
def test_unknown_languages_and_fences_without_one_stay_plain(engine: str) -> None:
    html = body_html("```klingon\nqapla'\n```\n\n```\nplain <code>\n```\n", engine)
    first, second = parse_html(html).find_all("pre")
    assert first.attrs == {} and first.find("code").attrs == {"class": "language-klingon"}
    assert not first.find_all("span") and first.text() == "qapla'"
    assert second.find("code").attrs == {} and second.text() == "plain <code>"


@BOTH
def test_highlight_false_turns_it_off(engine: str) -> None:
    html = body_html("```python\nx = 1\n```\n", engine, highlight=False)
    assert html.strip() == '<pre><code class="language-python">x = 1\n</code></pre>'


def test_highlight_is_a_site_yaml_key(tmp_path) -> None:
    site = write_tree(tmp_path, {"site.yaml": "highlight: false\n"})
    assert load_config(site).highlight is False


def test_pygmentss_version_is_part_of_the_cache_key() -> None:
    import pygments

    assert f"pygments {pygments.__version__}".encode() in library_versions()


def test_a_body_without_fenced_code_never_loads_the_highlighter() -> None:
    # (Python-Markdown's fenced_code imports Pygments' lexer table itself, as it always did; the highlighter and
    # Pygments' HTML formatter are loaded only for a fence naming a language.)
    script = ("import sys\nfrom broadsheet.config import Config\nfrom broadsheet.content import parse_article\n"
              "for engine in ('python-markdown', 'commonmark'):\n"
              "    text = b'---\\ntitle: T\\ndate: 2024-01-01\\n---\\n\\nText with `code`.\\n\\n    indented\\n'\n"
              "    parse_article('content/a.md', text, Config(markdown=engine))\n"
              "print('broadsheet.highlight' in sys.modules, 'pygments.formatters.html' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert result.stdout.strip() == "False False"


def test_a_built_page_carries_the_highlighting_and_the_theme_styles_it(tmp_path, run_cli) -> None:
    site = write_tree(tmp_path / "site", {
        "site.yaml": "title: Code\nmarkdown: commonmark\n",
        "content/news/code.md": "---\ntitle: Code\ndate: 2024-05-01\n---\n\nRun:\n\n```js\nconst a = 'b';\n```\n"})
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    page = parse_file(site / "public/news/code/index.html")
    assert page.find("pre", class_="highlight").find("span", class_="kd").text() == "const"
    css = next((site / "public").glob("style.*.css")).read_text(encoding="utf-8")
    assert '.highlight [class^="k"]' in css and "--code-keyword" in css
