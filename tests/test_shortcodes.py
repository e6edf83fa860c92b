"""Shortcodes in Hugo's syntax (templates/shortcodes/), in both Markdown engines: the built-ins, a site's own,
never in code, errors with their lines, the cache, and the one script the theme ships (a video's click-to-play)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, write_tree
from htmlcheck import Node, parse_file, parse_html
from shortcode_site import ARTICLE, PAGE, write_shortcode_site
from tooling import axe_script_path, open_browser, require_tool, serve_directory, vnu_command

from broadsheet.base.errors import SiteError
from broadsheet.stages.config import Config
from broadsheet.stages.content import parse_article

ENGINES = ("python-markdown", "commonmark")
BOTH = pytest.mark.parametrize("engine", ENGINES)
VIDEO_SCRIPT = (REPO_ROOT / "templates/shortcodes/_video-script.html").read_text(encoding="utf-8").strip()


def body_of(body: str, engine: str, front: str = "", source: str = "content/world/t.md") -> Any:
    text = f"---\ntitle: The title\ndate: 2024-01-01\n{front}---\n\n{body}"
    return parse_article(source, text.encode(), Config(markdown=engine))


@pytest.fixture(scope="module", params=ENGINES)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site using every built-in shortcode, built with each engine; returns its output folder."""
    from broadsheet.cli.main import main

    site = write_shortcode_site(tmp_path_factory.mktemp("shortcodes") / "site", request.param)
    assert main(["build", "--site", str(site), "--quiet"]) == 0
    return site / "public"


def article_body(public: Path) -> Node:
    return parse_file(public / PAGE).find("div", class_="article-body")


def test_figure(built: Path) -> None:
    first, second = article_body(built).find_all("figure", class_="figure")
    img = first.find("img")
    assert img.attrs["src"] == "/news/images/quay.svg" and img.attrs["alt"] == "The new quay at dawn"
    assert img.attrs["width"] == "640" and img.attrs["loading"] == "lazy"
    assert first.find("a").attrs["href"] == "/news/images/quay.svg"
    caption = first.find("figcaption")
    assert caption.find("em").text() == "seen from the water" and caption.find("span", class_="credit").text() == \
        "Port authority"
    # Hugo's own names: title, attr, attrlink.
    assert second.find("strong", class_="figure-title").text() == "Hugo's title"
    assert second.find("span", class_="credit").find("a").attrs["href"] == "https://example.org/photographer"


def test_videos_request_nothing_until_played_and_link_to_the_video(built: Path) -> None:
    youtube, vimeo = article_body(built).find_all("figure", class_="video")
    link = youtube.find("a", class_="video-link")
    assert link.attrs["href"] == "https://www.youtube.com/watch?v=w7Ft2ymGmfc"  # (works without JavaScript)
    assert link.attrs["data-player"] == "https://www.youtube-nocookie.com/embed/w7Ft2ymGmfc?autoplay=1"
    assert youtube.find("img").attrs["src"] == "/news/images/quay.svg"  # the local still
    assert "The opening ceremony" in link.text() and youtube.find_all("span", class_="video-play")
    vimeo_link = vimeo.find("a")
    assert vimeo_link.attrs["href"] == "https://vimeo.com/55073825" and not vimeo.find_all("img")
    assert vimeo_link.attrs["data-player"] == "https://player.vimeo.com/video/55073825?dnt=1&autoplay=1"
    page = (built / PAGE).read_text(encoding="utf-8")
    assert not parse_html(page).find_all("iframe", src=link.attrs["data-player"])
    scripts = re.findall(r"<script(?![^>]*application/ld\+json)[^>]*>.*?</script>", page, re.DOTALL)
    assert scripts == [VIDEO_SCRIPT]  # once a page, however many videos


def test_posts_are_quoted_with_author_and_link_and_no_script_of_theirs(built: Path) -> None:
    x, tweet, mastodon, instagram = article_body(built).find_all("figure", class_="social-post")
    assert x.find("blockquote").text() == "The quay is open. Come and see it."
    assert x.find("figcaption").text() == "@harbourcity, Post on X"
    assert x.find("a").attrs["href"] == "https://x.com/harbourcity/status/1453110110599868418"
    assert tweet.find("a").attrs["href"] == "https://x.com/i/status/1453110110599868419"  # (Hugo's positional id)
    assert mastodon.find("a").attrs["href"] == "https://mastodon.social/@harbour/111"
    assert "@harbour@mastodon.social" in mastodon.find("figcaption").text()
    assert instagram.find("blockquote").find("strong").text() == "sunny"  # {{% %}}: inner Markdown rendered
    gist = article_body(built).find("p", class_="gist").find("a")
    assert gist.attrs["href"] == "https://gist.github.com/harbourcity/4a5b6c#file-timetable-csv"


def test_frames_are_https_titled_and_lazy(built: Path) -> None:
    frames = article_body(built).find_all("iframe")
    assert [(f.attrs["src"], f.attrs["title"], f.attrs["loading"]) for f in frames] == [
        ("https://maps.example.org/embed?harbour", "Map of the harbour works", "lazy"),
        ("https://charts.example.org/ships", "Ships in the harbour, by month", "lazy")]


def test_pullquote_callouts_and_correction(built: Path) -> None:
    body = article_body(built)
    assert body.find("aside", class_="pullquote").find("p").text() == "We waited four years for this morning."
    note, update, correction = body.find_all("aside", class_="callout")
    assert note.find("p", class_="callout-title").text() == "How we reported this" and note.find("em").text() == \
        "at the quay"
    assert "callout-update" in update.attrs["class"]
    assert correction.find("time").attrs["datetime"] == "2024-05-03"
    assert "wrong length" in correction.text()


def test_a_correction_sets_the_articles_date_of_modification(built: Path) -> None:
    page = parse_file(built / PAGE)
    meta = page.find("meta", property="article:modified_time")
    assert meta.attrs["content"].startswith("2024-05-03")
    data = [json.loads(s.text()) for s in page.find_all("script", type="application/ld+json")]
    news = [node for d in data for node in d.get("@graph", [d]) if node.get("@type") == "NewsArticle"]
    assert news and news[0]["dateModified"] == "2024-05-03T00:00:00+00:00"


def test_related_links_another_article_resolved_at_render_time(built: Path) -> None:
    card = article_body(built).find("span", class_="related-card")
    assert card.find("a").attrs["href"] == "/news/world/harbour/"
    assert parse_file(built / "world/harbour/index.html").find("h1").text() == "Four years of harbour works"
    assert card.find("a").text() == "Four years of harbour works"  # (the linked article's title)
    # So is the automatic summary made of that paragraph, on the home page and in the page's description.
    lead = "The harbour works were opened on Friday, Related Four years of harbour works after four years of delays."
    assert lead in [p.text() for p in parse_file(built / "index.html").find_all("p")]
    assert parse_file(built / PAGE).find("meta", name="description").attrs["content"] == lead


def test_table_of_contents_lists_the_headings(built: Path) -> None:
    body = article_body(built)
    toc = body.find("nav", class_="toc")
    assert [a.attrs["href"] for a in toc.find_all("a")] == ["#pictures", "#video", "#posts", "#notes"]
    assert [h.attrs["id"] for h in body.find_all("h2")] == ["pictures", "video", "posts", "notes"]


def test_shortcodes_in_code_and_hugos_comment_form_are_shown_as_written(built: Path) -> None:
    body = article_body(built)
    assert body.find("code").text() == "{{< youtube abc >}}"
    assert body.find("pre").text() == "{{< gh 2090 >}}"
    assert '{{< figure src="x.jpg" >}}' in body.find_all("p")[-1].text()


def test_the_site_passes_the_nu_html_checker(built: Path) -> None:
    command = vnu_command()
    require_tool("vnu", command is not None, "needs Java and node_modules/vnu-jar (run 'npm ci')")
    assert command is not None
    result = subprocess.run([*command, "--skip-non-html", "--errors-only", str(built)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr or result.stdout


# ---- in a real browser


@pytest.fixture(scope="module")
def browsing(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from broadsheet.cli.main import main

    site = write_shortcode_site(tmp_path_factory.mktemp("browse") / "site")
    assert main(["build", "--site", str(site), "--quiet"]) == 0
    with serve_directory(site / "public", "/news/") as base, open_browser() as browser:
        yield base, browser


def test_axe_finds_no_violations_in_light_and_dark(browsing: Any) -> None:
    require_tool("axe-core", axe_script_path() is not None, "needs node_modules/axe-core (run 'npm ci')")
    base, browser = browsing
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        try:
            page = context.new_page()
            page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
            page.goto(base + "world/every-shortcode/")
            page.add_script_tag(path=str(axe_script_path()))
            results = page.evaluate("() => axe.run(document, {runOnly: {type: 'tag', values: "
                                    "['wcag2a', 'wcag2aa', 'best-practice']}})")
        finally:
            context.close()
        violations = [f"{v['id']}: {[n['target'] for n in v['nodes'][:3]]}" for v in results["violations"]]
        assert not violations, f"{scheme}: {violations}"


def test_a_video_loads_its_player_only_when_clicked(browsing: Any) -> None:
    base, browser = browsing
    context = browser.new_context()
    requested: list[str] = []
    try:
        page = context.new_page()

        def elsewhere(route: Any) -> None:
            requested.append(route.request.url)
            route.abort()

        page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), elsewhere)
        page.goto(base + "world/every-shortcode/")
        page.wait_for_load_state("networkidle")
        assert not [url for url in requested if "youtube" in url or "vimeo" in url], requested
        assert page.locator("iframe[src*='youtube']").count() == 0
        page.click("a[data-player*='youtube-nocookie']")
        frame = page.locator("iframe[src^='https://www.youtube-nocookie.com/embed/w7Ft2ymGmfc']")
        frame.wait_for(state="attached", timeout=5000)
        assert frame.get_attribute("title") == "The opening ceremony"
        assert page.locator("a[data-player*='youtube-nocookie']").count() == 0
        assert page.locator("a[data-player*='vimeo']").count() == 1  # (the other video waits for its own click)
    finally:
        context.close()


# ---- one body at a time


@BOTH
def test_never_expanded_inside_code(engine: str) -> None:
    body = ("Span `{{< gh 1 >}}`.\n\n```\n{{< gh 2 >}}\n```\n\n~~~go\n{{< gh 3 >}}\n~~~\n\n"
            "    {{< gh 4 >}}\n\n- item\n\n  ```\n  {{< gh 5 >}}\n  ```\n")
    html = body_of(body, engine).body_html
    codes = [code.text() for code in parse_html(html).find_all("code")]
    assert codes == [f"{{{{< gh {number} >}}}}" for number in range(1, 6)], html


@BOTH
def test_a_sites_own_shortcode_gets_arguments_inner_text_and_front_matter(engine: str, tmp_path: Path,
                                                                           run_cli: Any) -> None:
    site = write_tree(tmp_path / "site", {
        "site.yaml": f"markdown: {engine}\n",
        "templates/shortcodes/box.html": (
            '<div class="box" data-kind="{{ args.kind }}" data-first="{{ positional[0] }}" '
            'data-title="{{ page.title }}">{{ inner }}</div>'),
        "templates/shortcodes/figure.html": '<p class="mine">{{ arg("src", 0) }}</p>',
        ARTICLE: ("---\ntitle: Boxes\ndate: 2024-01-01\n---\n\n{{< box one kind=\"raw\" >}}*as* <b>written</b>"
                  "{{< /box >}}\n\n{{% box two kind=`md` %}}\n*rendered*\n{{% /box %}}\n\n"
                  "{{< figure \"a.jpg\" >}}\n")})
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    body = article_body(site / "public")
    raw, rendered = body.find_all("div", class_="box")
    assert raw.attrs == {"class": "box", "data-kind": "raw", "data-first": "one", "data-title": "Boxes"}
    assert raw.text() == "*as* written" and raw.find("b").text() == "written"  # (inner text as written)
    assert rendered.attrs["data-kind"] == "md" and rendered.find("em").text() == "rendered"
    assert body.find("p", class_="mine").text() == "a.jpg"  # (the site's own figure over the built-in)


@BOTH
def test_an_unknown_shortcode_is_an_error_naming_its_line(engine: str, tmp_path: Path, run_cli: Any) -> None:
    site = write_tree(tmp_path / "site", {"site.yaml": f"markdown: {engine}\n",
                                          ARTICLE: "---\ntitle: T\ndate: 2024-01-01\n---\n\nText.\n"})
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    before = (site / "public" / PAGE).read_bytes()
    (site / ARTICLE).write_text("---\ntitle: T\ndate: 2024-01-01\n---\n\nText.\n\nSee {{< gh 2090 >}}.\n")
    result = run_cli("build", "--site", str(site), "--quiet")
    assert result.status != 0 and "Traceback" not in result.err
    known = ("aside, callout, correction, embed, figure, gist, highlight, iframe, instagram, mastodon, pullquote, "
             "related, toc, tweet, vimeo, x, youtube")
    assert f"{ARTICLE}:8: unknown shortcode 'gh' (known: {known})" in result.err
    assert (site / "public" / PAGE).read_bytes() == before  # (the previous output intact)


@BOTH
def test_a_missing_required_argument_is_an_error_naming_its_line(engine: str) -> None:
    with pytest.raises(SiteError) as caught:
        body_of("Text.\n\n{{< youtube title=\"No id\" >}}\n\n{{< iframe src=\"http://x.example\" title=\"t\" >}}\n",
                engine)
    assert [str(p) for p in caught.value.problems] == [
        "content/world/t.md:8: shortcode 'youtube' needs the argument 'id' (or as its argument 1)",
        "content/world/t.md:10: shortcode 'iframe': src must be an https:// address, not http://x.example"]


@BOTH
def test_a_figure_without_alt_text_is_a_warning(engine: str) -> None:
    parsed = body_of("One.\n\n{{< figure src=\"/a.jpg\" caption=\"A caption\" >}}\n", engine)
    assert [str(p) for p in parsed.warnings] == [
        ("content/world/t.md:8: warning: figure /a.jpg has no alt text: add alt=\"…\" describing the image for "
         "readers who cannot see it")]
    assert parse_html(parsed.body_html).find("img").attrs["alt"] == ""


@BOTH
def test_toc_true_in_front_matter_puts_the_contents_first(engine: str) -> None:
    parsed = body_of("Lead.\n\n## One\n\n### One point five\n\n## Two\n", engine, "toc: true\n")
    toc = parse_html(parsed.body_html).find("nav", class_="toc")
    assert parsed.body_html.startswith('<nav class="toc"')
    assert [a.attrs["href"] for a in toc.find_all("a")] == ["#one", "#one-point-five", "#two"]
    assert toc.find_all("ol")[1].find("a").text() == "One point five"


@BOTH
def test_shortcode_output_is_not_in_the_automatic_summary_and_words_are_counted(engine: str) -> None:
    parsed = body_of("The quay opened. Look:\n\n{{< figure src=\"/a.jpg\" alt=\"The quay\" >}}\n\nMore text.\n",
                     engine)
    assert parsed.article.summary_html == "<p>The quay opened.</p>"
    assert parsed.article.word_count == 6


def test_changing_a_shortcode_template_renders_its_articles_again(tmp_path: Path, run_cli: Any) -> None:
    site = write_tree(tmp_path / "site", {
        "templates/shortcodes/note.html": "<p class=\"note\">first</p>",
        ARTICLE: "---\ntitle: T\ndate: 2024-01-01\n---\n\n{{< note >}}\n",
        "content/world/other.md": "---\ntitle: O\ndate: 2024-01-02\n---\n\nNo shortcode.\n"})
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    assert article_body(site / "public").find("p", class_="note").text() == "first"
    (site / "templates/shortcodes/note.html").write_text("<p class=\"note\">second</p>")
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    assert article_body(site / "public").find("p", class_="note").text() == "second"


def test_a_related_card_to_a_missing_article_warns_and_shows_the_files_name(tmp_path: Path, run_cli: Any) -> None:
    site = write_tree(tmp_path / "site", {
        ARTICLE: "---\ntitle: T\ndate: 2024-01-01\n---\n\nText.\n\n{{< related \"content/world/gone-away.md\" >}}\n"})
    result = run_cli("build", "--site", str(site))
    assert result.status == 0
    assert f"{ARTICLE}:8: warning: links to a file that does not exist: content/world/gone-away.md" in result.err
    card = article_body(site / "public").find("p", class_="related-card")
    assert card.find("a").text() == "Gone away" and "href" not in card.find("a").attrs
    assert "broadsheet" not in str(card)


@BOTH
def test_a_related_cards_written_title_wins_over_the_linked_articles(tmp_path: Path, engine: str) -> None:
    from broadsheet.cli.main import main

    site = write_tree(tmp_path / "site", {
        "site.yaml": f"title: T\nmarkdown: {engine}\n",
        "content/world/other.md": "---\ntitle: The other <one> & more\ndate: 2024-01-02\n---\n\nText.\n",
        ARTICLE: "---\ntitle: T\ndate: 2024-01-01\n---\n\n{{< related \"other.md\" >}}\n\n"
                 "{{< related path=\"other.md\" title=\"Written\" >}}\n\n"
                 "{{< related \"other.md\" >}}Inner{{< /related >}}\n"})
    assert main(["build", "--site", str(site), "--quiet"]) == 0
    cards = article_body(site / "public").find_all("p", class_="related-card")
    assert [card.find("a").text() for card in cards] == ["The other <one> & more", "Written", "Inner"]
    assert {card.find("a").attrs["href"] for card in cards} == {"/world/other/"}


@BOTH
def test_hugos_comment_form_shows_the_shortcode_in_fenced_code_too(engine: str) -> None:
    html = body_of('```go\n{{</* figure src="a.jpg" */>}}\n```\n', engine).body_html
    assert parse_html(html).find("pre").text() == '{{< figure src="a.jpg" >}}'


@BOTH
def test_under_raw_html_false_inner_text_is_escaped_and_links_only_go_to_safe_addresses(engine: str) -> None:
    text = ("---\ntitle: T\ndate: 2024-01-01\n---\n\n{{< x user=\"a\" id=\"1\" >}}<b>bold</b>{{< /x >}}\n\n"
            "{{< figure src=\"/a.jpg\" alt=\"A\" link=\"ftp://example.org/a\" >}}\n")
    with pytest.raises(SiteError) as caught:
        parse_article("content/world/t.md", text.encode(), Config(markdown=engine, raw_html=False))
    assert [str(p) for p in caught.value.problems] == [
        "content/world/t.md:8: shortcode 'figure': 'ftp://example.org/a' is not an address it can link to"]
    parsed = parse_article("content/world/t.md", text.replace(' link="ftp://example.org/a"', "").encode(),
                           Config(markdown=engine, raw_html=False))
    quote = parse_html(parsed.body_html).find("blockquote")
    assert quote.text() == "<b>bold</b>" and not quote.find_all("b")


def test_hugos_ref_and_relref_link_content_files_resolved_at_render_time(tmp_path: Path, run_cli: Any) -> None:
    site = write_tree(tmp_path / "site", {
        "site.yaml": "base_url: https://example.org/news/\nmarkdown: commonmark\n",
        ARTICLE: ("---\ntitle: T\ndate: 2024-01-02\n---\n\nSee [the match]({{< ref \"/sport/match.md#score\" >}}), "
                  "[the quay]({{< relref quay >}}) and `{{< ref \"x.md\" >}}`.\n"),
        "content/world/quay.md": "---\ntitle: Quay\ndate: 2024-01-01\n---\n\nText.\n",
        "content/sport/match.md": "---\ntitle: Match\ndate: 2024-01-01\n---\n\nText.\n"})
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    body = article_body(site / "public")
    assert [a.attrs["href"] for a in body.find_all("a")] == ["/news/sport/match/#score", "/news/world/quay/"]
    assert body.find("code").text() == '{{< ref "x.md" >}}'


@BOTH
def test_hugos_highlight_shortcode_highlights_its_code(engine: str) -> None:
    body = '{{< highlight go "linenos=table" >}}\nfunc main() {\n\tfmt.Println("<hi>")\n}\n{{< /highlight >}}\n'
    parsed = body_of(body, engine)
    pre = parse_html(parsed.body_html).find("pre")
    assert pre.attrs == {"class": "highlight"} and pre.find("code").attrs == {"class": "language-go"}
    assert pre.find("span", class_="kd").text() == "func"
    assert pre.text() == 'func main() { fmt.Println("<hi>") }'
    assert parsed.article.word_count == 0  # (code's words do not count, as in a fenced block)
    text = f"---\ntitle: T\ndate: 2024-01-01\n---\n\n{body}"
    plain = parse_article("content/world/t.md", text.encode(), Config(markdown=engine, highlight=False)).body_html
    assert plain == '<pre><code class="language-go">func main() {\n\tfmt.Println("&lt;hi&gt;")\n}\n</code></pre>' + (
        "\n" if engine == "commonmark" else "")
