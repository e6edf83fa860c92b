"""`broadsheet import jekyll|hugo|wordpress`: fixture sites cut from real ones are imported, built and followed."""

from __future__ import annotations

import hashlib
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import read_tree

from broadsheet.check import check
from broadsheet.cli import main
from broadsheet.importers.dates import read_date
from broadsheet.importers.liquid import convert_liquid
from broadsheet.importers.wordpress import convert_body, wpautop
from broadsheet.options import BuildOptions

FIXTURES = Path(__file__).parent / "fixtures" / "import"
SOURCES = {"jekyll": FIXTURES / "jekyll", "hugo": FIXTURES / "hugo", "wordpress": FIXTURES / "wordpress" / "export.xml"}
EXTRA = {"wordpress": ["--uploads", str(FIXTURES / "wordpress" / "uploads")]}

# Old URLs of each fixture, as its old site served them, with the headline of the article each must lead to.
OLD_URLS = {
    "jekyll": {
        "/news/2017/03/21/jekyll-3-4-3-released/": "Jekyll 3.4.3 Released",
        "/news/2024/05/01/Moving-Day/": "Moving day: the features an import must carry",
        "/old-moving-day.html": "Moving day: the features an import must carry",
        "/news/moving/": "Moving day: the features an import must carry",
        "/docs/pages/": "Pages",
    },
    "hugo": {
        "/2019/11/28/bootstrap-4-4-1/": "Bootstrap 4.4.1",
        "/2021/01/19/bootstrap-icons-4.6.0/": "Bootstrap v4.6.0",
        "/2021/01/19/bootstrap-4.6.0/": "Bootstrap v4.6.0",
        "/old/bundled-story/": "A bundled story",
        "/about/": "About this blog",
    },
    "wordpress": {
        "/2013/01/11/vote-count/": "Vote count goes on into the night",
        "/?p=1241": "Vote count goes on into the night",
        "/?p=1250": "Ferry timetable, in blocks",
        "/2013/02/02/выборы/": "Выборы в гавани",
        "/about/team/": "Our team",
        "/?page_id=3": "Our team",
    },
}


@pytest.fixture(scope="module", params=sorted(SOURCES))
def imported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, str]:
    """(kind, the new site, the import's report), the site built into its public/."""
    kind = request.param
    site = tmp_path_factory.mktemp(kind) / "site"
    status, report = _run(["import", kind, str(SOURCES[kind]), str(site), *EXTRA.get(kind, [])])
    assert status == 0, report
    assert main(["build", "--site", str(site), "--quiet"]) == 0
    return kind, site, report


def _run(args: list[str]) -> tuple[int, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    return status, out.getvalue() + err.getvalue()


def test_each_import_builds_and_checks_clean(imported: tuple[str, Path, str]) -> None:
    _, site, report = imported
    assert "The new site builds" in report
    result = check(BuildOptions(site_dir=site, output_dir=site / "public", no_cache=True))
    assert [str(p) for p in result.problems if not p.warning] == []
    assert yaml.safe_load((site / "site.yaml").read_text(encoding="utf-8"))["markdown"] == "commonmark"


def test_the_report_counts_and_names_what_needs_a_person(imported: tuple[str, Path, str]) -> None:
    kind, site, report = imported
    counts = re.search(r"(\d+) articles and (\d+) pages \((\d+) drafts or scheduled\), (\d+) old URLs redirected, "
                       r"(\d+) files copied", report)
    assert counts is not None, report
    expected = {"jekyll": ("6", "2", "2"), "hugo": ("7", "1", "1"), "wordpress": ("5", "2", "2")}[kind]
    assert counts.group(1, 2, 3) == expected
    placeholders = sorted(p.stem for p in (site / "templates" / "shortcodes").glob("*.html"))
    for name in placeholders:  # every placeholder is named, with the file and line where it is used
        assert re.search(rf"^content/\S+:\d+: shortcode '{re.escape(name)}' has a placeholder", report, re.M), name
        line = next(line for line in report.splitlines() if f"shortcode '{name}'" in line)
        path, number = line.split(":")[:2]
        assert "{{< " + name in (site / path).read_text(encoding="utf-8").splitlines()[int(number) - 1]
        template = (site / "templates" / "shortcodes" / f"{name}.html").read_text(encoding="utf-8")
        assert f"<!-- shortcode {name}: placeholder -->" in template


def _redirect_rules(public: Path) -> dict[str, str]:
    """`_redirects` as {old path with its query: new URL}, every line checked for its form."""
    rules = {}
    for line in (public / "_redirects").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        fields = line.split(" ")
        assert fields[-1] == "301", line
        old, *query, new = fields[:-1]
        rules[old + ("?" + "&".join(query) if query else "")] = new
    return rules


def _refresh_target(html: str) -> str | None:
    match = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', html)
    return match.group(1) if match else None


def _page(public: Path, url: str) -> str | None:
    from urllib.parse import unquote

    path = public / unquote(url.split("?")[0]).lstrip("/")
    if path.is_dir():
        path = path / "index.html"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def follow(public: Path, url: str) -> tuple[str, str]:
    """The page an old URL leads to, through redirect pages and `_redirects` rules: (final URL, its HTML)."""
    from urllib.parse import quote

    rules = _redirect_rules(public)
    for _ in range(4):
        html = _page(public, url) if "?" not in url else None
        target = _refresh_target(html) if html else None
        rule = rules.get(quote(url, safe="/?=&%:"))
        if target is not None:
            assert rule == target, f"{url}: the redirect page and _redirects disagree ({target} / {rule})"
            url = target
        elif html is not None:
            return url, html
        elif rule is not None:
            url = rule
        else:
            raise AssertionError(f"{url}: no page and no redirect")
    raise AssertionError(f"{url}: redirects in a loop")


def _headline(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.DOTALL)
    assert match, "no headline"
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def test_old_urls_lead_to_the_articles(imported: tuple[str, Path, str]) -> None:
    kind, site, _ = imported
    for old, title in OLD_URLS[kind].items():
        final, html = follow(site / "public", old)
        assert _headline(html) == title, f"{old} → {final}"


def test_every_alias_leads_to_its_article(imported: tuple[str, Path, str]) -> None:
    """Every old URL the import kept (each article's aliases) reaches that article's page, by its redirect page or
    by its `_redirects` rule; a letter-case variant is a rule only, never a second folder."""
    _, site, _ = imported
    public = site / "public"
    rules = _redirect_rules(public)
    followed = 0
    for path in sorted((site / "content").rglob("*.*")):
        if path.suffix not in (".md", ".html") or path.name.startswith("_"):
            continue
        front = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
        if front.get("draft") or str(front.get("date", "")) > "2030":  # (not published: no redirect to it)
            continue
        for alias in front.get("aliases", []):
            final, html = follow(public, alias)
            assert _headline(html) == front["title"], f"{path}: {alias} → {final}"
            from urllib.parse import quote

            assert quote(alias, safe="/?=&%:") in rules
            folder = public / alias.split("?")[0].strip("/")
            if alias.lower().rstrip("/") == final.lower().rstrip("/"):
                assert not folder.exists() or folder.samefile(public / final.strip("/")), alias
            followed += 1
    assert followed >= 3


class _TextOutsideCode(HTMLParser):
    """Text of a page outside <code>, <pre>, <script>, <style> and comments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("code", "pre", "script", "style"):
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre", "script", "style"):
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.text.append(data)


def test_no_liquid_or_shortcode_text_outside_code(imported: tuple[str, Path, str]) -> None:
    _, site, _ = imported
    pages = sorted((site / "public").rglob("*.html"))
    assert pages
    for page in pages:
        parser = _TextOutsideCode()
        parser.feed(page.read_text(encoding="utf-8"))
        text = " ".join(parser.text)
        found = re.search(r"\{\{|\{%|%\}|\}\}|\[/?(?:caption|gallery|embed)\b", text)
        assert found is None, f"{page.relative_to(site)}: {text[max(0, found.start() - 40):found.end() + 40]!r}"


def _text(page: Path) -> str:
    """A page's text with its tags dropped (highlighted code is split into spans)."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def test_code_keeps_what_looks_like_liquid(imported: tuple[str, Path, str]) -> None:
    kind, site, _ = imported
    if kind == "jekyll":
        text = _text(site / "public" / "news/2024/05/01/moving-day/index.html")
        assert "{{ page.title }} stays as written in code." in text
        assert "This comment is not published" not in text
    elif kind == "hugo":
        text = _text(site / "public" / "2024/05/02/bundled-story/index.html")
        assert 'fmt.Println("{{< not a shortcode in code >}}")' in text


def _tree_digest(root: Path) -> dict[str, tuple[str, int]]:
    return {p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_import_never_writes_into_source_and_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "old"
    shutil.copytree(SOURCES["jekyll"], source)
    before = _tree_digest(source)
    monkeypatch.chdir(tmp_path)  # relative paths, from any folder
    assert _run(["import", "jekyll", "old", "new-a"])[0] == 0
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert _run(["import", "jekyll", str(source), str(tmp_path / "new-b")])[0] == 0
    assert _tree_digest(source) == before
    assert read_tree(tmp_path / "new-a") == read_tree(tmp_path / "new-b")


def test_import_refuses_a_dest_that_is_not_empty_or_inside_source(tmp_path: Path) -> None:
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine", encoding="utf-8")
    status, output = _run(["import", "hugo", str(SOURCES["hugo"]), str(dest)])
    assert status == 1
    assert f"{dest}: exists and is not empty (give a new folder for the new site)" in output
    assert sorted(p.name for p in dest.iterdir()) == ["notes.txt"]
    source = tmp_path / "hugo"
    shutil.copytree(SOURCES["hugo"], source)
    status, output = _run(["import", "hugo", str(source), str(source / "new")])
    assert status == 1 and "which an import never writes into" in output
    assert not (source / "new").exists()
    status, output = _run(["import", "wordpress", str(tmp_path / "missing.xml"), str(tmp_path / "new")])
    assert status == 1 and "missing.xml: does not exist" in output


def test_a_broken_export_is_one_line(tmp_path: Path) -> None:
    export = tmp_path / "export.xml"
    export.write_text("<rss><channel><item></channel></rss>", encoding="utf-8")
    status, output = _run(["import", "wordpress", str(export), str(tmp_path / "new")])
    assert status == 1
    assert "export.xml:1: not a WordPress export (WXR)" in output
    assert "Traceback" not in output


# ---------------------------------------------------------------- the conversions, on inline text


def test_liquid_links_and_tags_are_rewritten() -> None:
    converted = convert_liquid(
        "![a]({{ site.baseurl }}/img/a.png) [b]({{ '/docs/b/' | relative_url }}) "
        "[c]({{ \"/c/\" | absolute_url }}) [d]({% post_url 2020/2020-01-02-d %}) [e]({% link _docs/e.md %})\n"
        "{% raw %}{{ kept }}{% endraw %} {{ site.title }} {% include youtube.html id=\"x1\" %}\n"
        "{% include custom.html a=\"b\" c=page.d %}{% if x %}shown{% endif %}",
        {"site.title": "The Site"})
    text = converted.text
    assert "![a](/img/a.png)" in text and "[b](/docs/b/)" in text and "[c](/c/)" in text
    assert "\ue010post:2020-01-02-d\ue011" in text and "\ue010file:_docs/e.md\ue011" in text
    assert "{{ kept }} The Site {{< youtube id=\"x1\" >}}" in text
    assert "{{< custom a=\"b\" >}}shown" in text
    messages = [message for _, message in converted.notes]
    assert any("c=page.d" in m for m in messages) and any("{% if %}" in m for m in messages)


def test_highlight_becomes_a_fence_and_comments_go() -> None:
    text = convert_liquid("a\n{% comment %}\nsecret\n{% endcomment %}\n{% highlight ruby linenos %}\nx = 1\n"
                          "{% endhighlight %}\n", {}).text
    assert "secret" not in text and "```ruby\nx = 1\n```" in text
    assert text.count("\n") >= 6  # (the comment's lines are kept blank: line numbers in the report stay right)


def test_wpautop_makes_paragraphs_as_wordpress_does() -> None:
    assert wpautop("One\ntwo\n\nThree") == "<p>One<br />\ntwo</p>\n<p>Three</p>\n"
    assert wpautop("<ul>\n<li>a</li>\n</ul>\nAfter") == "<ul>\n<li>a</li>\n</ul>\n<p>After</p>\n"
    assert "<pre>\nx\n\ny\n</pre>" in wpautop("Before\n<pre>\nx\n\ny\n</pre>\nAfter")
    assert "<blockquote><p>Quoted</p></blockquote>" in wpautop("<blockquote>Quoted</blockquote>")


def test_wordpress_shortcodes_and_blocks() -> None:
    body, _ = convert_body('[caption id="1" caption="Boats"]<img src="a.png" alt="A">[/caption]\n\n'
                           "[embed]https://youtu.be/abcdefgh[/embed]\n\n[gallery ids=\"1,2\"]")
    assert '<figure><img src="a.png" alt="A"><figcaption>Boats</figcaption></figure>' in body
    assert "{{< youtube abcdefgh >}}" in body and '{{< gallery ids="1,2" >}}' in body
    blocks, _ = convert_body("<!-- wp:paragraph -->\n<p>Block</p>\n<!-- /wp:paragraph -->\n\nNo autop here")
    assert "wp:paragraph" not in blocks and "<p>No autop" not in blocks


@pytest.mark.parametrize(("written", "read"), [
    ("2016-03-21 12:00:00 -0500", "2016-03-21T12:00:00-05:00"), ("2016-9-6", "2016-09-06"),
    ("2016-03-21 12:00 EDT", "2016-03-21T12:00:00-04:00"), ("2024-03-06T15:00:00+0000", "2024-03-06T15:00:00+00:00"),
    ("2024-05-04 08:00", "2024-05-04T08:00:00"),
])
def test_dates_as_jekyll_and_hugo_write_them(written: str, read: str) -> None:
    value = read_date(written)
    assert value is not None and value.isoformat() == read


def test_tags_as_each_generator_reads_them(tmp_path: Path) -> None:
    jekyll = tmp_path / "jekyll"
    (jekyll / "_posts").mkdir(parents=True)
    (jekyll / "_posts" / "2024-01-02-a.md").write_text("---\ntitle: A\ntags: one two\n---\nText.\n", encoding="utf-8")
    hugo = tmp_path / "hugo"
    (hugo / "content" / "posts").mkdir(parents=True)
    (hugo / "hugo.toml").write_text('title = "H"\nbaseURL = "https://h.example/"\n', encoding="utf-8")
    (hugo / "content" / "posts" / "a.md").write_text('+++\ntitle = "A"\ndate = 2024-01-02\ntags = ["one two"]\n+++\nText.\n',
                                                     encoding="utf-8")
    for kind, source in (("jekyll", jekyll), ("hugo", hugo)):
        assert _run(["import", kind, str(source), str(tmp_path / f"new-{kind}")])[0] == 0
    jekyll_front = (tmp_path / "new-jekyll/content/posts/a.md").read_text(encoding="utf-8")
    hugo_front = (tmp_path / "new-hugo/content/posts/a.md").read_text(encoding="utf-8")
    assert yaml.safe_load(jekyll_front.split("---\n")[1])["tags"] == ["one", "two"]
    assert yaml.safe_load(hugo_front.split("---\n")[1])["tags"] == ["one two"]


def test_the_old_sites_own_redirects_file_is_carried_over(tmp_path: Path) -> None:
    hugo = tmp_path / "hugo"
    (hugo / "content" / "posts").mkdir(parents=True)
    (hugo / "static").mkdir()
    (hugo / "hugo.toml").write_text('title = "H"\nbaseURL = "https://h.example/"\n', encoding="utf-8")
    (hugo / "content" / "posts" / "a.md").write_text('+++\ntitle = "A"\ndate = 2024-01-02\n+++\nText.\n',
                                                     encoding="utf-8")
    (hugo / "static" / "_redirects").write_text("# old rules\n/old-feed /index.xml 301\n/blog/* /posts/:splat 301\n",
                                                encoding="utf-8")
    status, report = _run(["import", "hugo", str(hugo), str(tmp_path / "new")])
    assert status == 0, report
    config = yaml.safe_load((tmp_path / "new" / "site.yaml").read_text(encoding="utf-8"))
    assert config["redirects"] == {"/old-feed": "/index.xml"}
    assert ("_redirects:3: a host rule Broadsheet does not write (a wildcard, a placeholder, a condition): set it up "
            "on the host: /blog/* /posts/:splat 301") in report
    assert not (tmp_path / "new" / "static" / "_redirects").exists()
