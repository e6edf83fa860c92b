"""Content can never write outside the output folder, read outside the site, run code or inject markup."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import markupsafe
import pytest
from badsite import GOOD, article, fails_cleanly, good_site, problem_lines
from conftest import REPO_ROOT, read_tree, write_tree
from imagefiles import photo

from broadsheet.errors import SiteError
from broadsheet.output import OutputFolder

DATE = "date: 2024-03-02T09:00:00Z"


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def elements(path: Path) -> _Elements:
    parser = _Elements()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def build(run_cli, site: Path, *args: str):
    result = run_cli("build", "--site", str(site), "--quiet", *args)
    return result


# --- paths -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("slug, expected", [
    ("../../../etc/passwd", "etc-passwd"),
    ("..\\\\..\\\\windows", "windows"),
    ("%2e%2e%2fescape", "2e-2e-2fescape"),
    ("/absolute/path", "absolute-path"),
    ("Ünïcödé Straße", "unicode-strasse"),
    ("a" * 300, "a" * 80),
    ("word " * 40, ("word-" * 16)[:-1]),
])
def test_slugs_from_content_are_safe_path_segments(tmp_path: Path, run_cli, slug, expected) -> None:
    site = good_site(tmp_path / "site", {"content/world/s.md": article(f"title: T\n{DATE}\nslug: '{slug}'")})
    assert build(run_cli, site).status == 0
    assert (site / f"public/world/{expected}/index.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_section_from_front_matter_is_slugified(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site", {"content/world/s.md": article(f"title: T\n{DATE}\nsection: ../../Op/Ed")})
    assert build(run_cli, site).status == 0
    assert (site / "public/op-ed/s/index.html").is_file()


def test_urls_that_differ_only_in_case_collide(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {"content/world/Budget.md": article(f"title: A\n{DATE}"),
                                        "content/world/budget.md": article(f"title: B\n{DATE}")})
    lines = problem_lines(err)
    assert len(lines) == 1 and "content/world/Budget.md" in lines[0] and "content/world/budget.md" in lines[0]


def test_two_files_with_one_slug_collide(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {"content/world/a.md": article(f"title: A\n{DATE}\nslug: same"),
                                        "content/world/b.md": article(f"title: B\n{DATE}\nslug: Same")})
    lines = problem_lines(err)
    assert len(lines) == 1 and "content/world/a.md" in lines[0] and "content/world/b.md" in lines[0]


def test_the_output_folder_guard_refuses_paths_outside(tmp_path: Path) -> None:
    output = OutputFolder(tmp_path / "public")
    output.begin()
    for bad in ("../escape.html", "/etc/passwd-copy", "a/../../escape.html", ""):
        with pytest.raises(SiteError):
            output.write(bad, b"x")
    (tmp_path / ".public.broadsheet-new" / "link").symlink_to(tmp_path)
    with pytest.raises(SiteError):
        output.write("link/escape.html", b"x")
    output.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# --- symlinks and junk -----------------------------------------------------------------------------------------

def test_content_link_to_a_file_outside_is_refused(tmp_path: Path, run_cli) -> None:
    secret = write_tree(tmp_path, {"secret.md": article(f"title: Secret\n{DATE}")}) / "secret.md"
    site = good_site(tmp_path / "site")
    assert build(run_cli, site).status == 0
    before = read_tree(site / "public")
    (site / "content/world/leak.md").symlink_to(secret)
    result = build(run_cli, site)
    assert result.status == 1
    assert result.err.startswith("content/world/leak.md: is a link to a file outside content/")
    assert read_tree(site / "public") == before


def test_content_link_inside_content_is_read(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site", {"content/_shared/real.md": article(f"title: Shared\n{DATE}")})
    (site / "content/world/alias.md").symlink_to(site / "content/_shared/real.md")
    assert build(run_cli, site).status == 0
    assert "Shared" in (site / "public/world/alias/index.html").read_text(encoding="utf-8")


def test_directory_links_in_content_are_not_followed(tmp_path: Path, run_cli) -> None:
    outside = write_tree(tmp_path / "elsewhere", {"stolen.md": article(f"title: Stolen\n{DATE}")})
    site = good_site(tmp_path / "site")
    (site / "content/linked").symlink_to(outside, target_is_directory=True)
    assert build(run_cli, site).status == 0
    assert "Stolen" not in b"".join(read_tree(site / "public").values()).decode()


def test_static_link_outside_is_refused(tmp_path: Path, run_cli) -> None:
    (tmp_path / "passwd").write_text("secret")
    site = good_site(tmp_path / "site")
    assert build(run_cli, site).status == 0
    (site / "static").mkdir()
    (site / "static/leak.txt").symlink_to(tmp_path / "passwd")
    result = build(run_cli, site)
    assert result.status == 1 and result.err.startswith("static/leak.txt: is a link to a file outside static/")


def test_image_link_outside_static_is_refused(tmp_path: Path, run_cli) -> None:
    (tmp_path / "photo.jpg").write_bytes(photo(40, 30))
    site = good_site(tmp_path / "site", {"static/images/ok.jpg": photo(40, 30)})
    assert build(run_cli, site).status == 0
    before = read_tree(site / "public")
    (site / "static/images/leak.jpg").symlink_to(tmp_path / "photo.jpg")
    write_tree(site, {"content/world/s.md": article(f"title: T\n{DATE}\nimage: images/leak.jpg\nimage_alt: A")})
    result = build(run_cli, site)
    assert result.status == 1
    assert "static/images/leak.jpg: is a link to a file outside static/" in result.err
    assert read_tree(site / "public") == before


def test_image_under_static_and_http_image_build(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site", {
        "static/images/ok.jpg": photo(40, 30),
        "content/world/a.md": article(f"title: A\n{DATE}\nimage: /images/ok.jpg\nimage_alt: A photo"),
        "content/world/b.md": article(f"title: B\n{DATE}\nimage: https://example.org/b.jpg\nimage_alt: B photo"),
    })
    result = build(run_cli, site)
    assert result.status == 0, result.err


def test_editor_and_system_files_are_ignored(tmp_path: Path, run_cli) -> None:
    junk = "not front matter at all \x00"
    site = good_site(tmp_path / "site", {
        "content/world/.#story.md": junk, "content/world/story.md~": junk, "content/world/.story.md.swp": junk,
        "content/world/.DS_Store": junk, "content/world/_unfinished.md": junk, "content/_drafts/x.md": junk,
        "content/.git/HEAD.md": junk, "content/world/folder.md/inside.txt": junk, "content/world/notes.txt": junk,
    })
    result = build(run_cli, site)
    assert result.status == 0, result.err
    assert "Built" not in result.out
    assert sorted(p.name for p in (site / "public/world").iterdir()) == ["feed.xml", "good", "index.html"]


# --- escaping --------------------------------------------------------------------------------------------------

NASTY = "</script><script>alert(1)</script><!-- \" ' & <b>x</b>"


def test_front_matter_text_is_escaped_everywhere(tmp_path: Path, run_cli) -> None:
    front = (f"title: '{NASTY.replace(chr(39), chr(39) * 2)}'\n{DATE}\nauthor: '<i>Eve</i>'\n"
             f"tags: ['<img src=x onerror=alert(1)>']\nsources: ['<script>s</script>']\nsection: '<b>Op</b>'\n"
             f"extra: '<script>meta</script>'")
    site = good_site(tmp_path / "site", {"content/world/nasty.md": article(front)})
    assert build(run_cli, site).status == 0
    for path in sorted((site / "public").rglob("*.html")):
        parsed = elements(path)
        assert all(tag not in ("img", "i") for tag, _ in parsed.tags), path
        # The only script is the page's JSON-LD, and the hostile strings stay inside it as JSON.
        scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
        assert len(scripts) <= 1 and all(a == {"type": "application/ld+json"} for a in scripts), path
        assert all(isinstance(json.loads(script), dict) for script in parsed.scripts), path
        for tag, attrs in parsed.tags:
            assert not any(name.startswith("on") for name in attrs), (path, tag, attrs)
        text = path.read_text(encoding="utf-8")
        assert "<!-- \"" not in text and "<b>" not in text
    page = (site / "public/b-op-b/nasty/index.html").read_text(encoding="utf-8")
    assert f"<h1>{markupsafe.escape(NASTY)}</h1>" in page


def test_summary_markdown_has_no_raw_html_and_only_safe_links(tmp_path: Path, run_cli) -> None:
    summary = ("'<script>alert(1)</script> <b onclick=x>bold</b> [js](javascript:alert(1)) [vb](VBScript:x) "
               "[data](data:text/html,x) [ftp](ftp://example.org/) [web](https://example.org/) "
               "[mail](mailto:desk@example.org) [rel](/world/) [attr](https://example.org/){: onclick=\"x\"}'")
    site = good_site(tmp_path / "site", {"content/world/s.md": article(f"title: T\n{DATE}\nsummary: {summary}")})
    assert build(run_cli, site).status == 0
    parsed = elements(site / "public/world/s/index.html")
    assert not [tag for tag, a in parsed.tags if tag == "script" and a.get("type") != "application/ld+json"]
    assert ("b", {}) in parsed.tags  # (a safe inline element of a summary stays one, without its handler)
    hrefs = {attrs.get("href") for tag, attrs in parsed.tags if tag == "a"}
    assert {"https://example.org/", "mailto:desk@example.org", "/world/"} <= hrefs
    assert not [h for h in hrefs if h and re.match(r"(javascript|vbscript|data|ftp):", h, re.IGNORECASE)]
    assert not [a for _, a in parsed.tags if any(name.startswith("on") for name in a)]


def test_body_html_is_trusted_by_default_but_unsafe_links_are_not_links(tmp_path: Path, run_cli) -> None:
    body = ("<div class=\"embed\"><iframe src=\"https://video.example.org/1\"></iframe></div>\n\n"
            "[click](javascript:alert(1)) ![img](data:image/png;base64,AAAA)\n")
    site = good_site(tmp_path / "site", {"content/world/s.md": article(f"title: T\n{DATE}", body)})
    assert build(run_cli, site).status == 0
    parsed = elements(site / "public/world/s/index.html")
    assert ("iframe", {"src": "https://video.example.org/1"}) in parsed.tags
    assert not [a for _, a in parsed.tags for v in a.values() if v and re.match(r"(javascript|data):", v)]


def test_raw_html_false_escapes_body_html(tmp_path: Path, run_cli) -> None:
    body = "<script>alert(1)</script>\n\nText <b onclick=\"x\">bold</b> and [a](https://example.org/){: onclick=x}\n"
    site = good_site(tmp_path / "site", {"content/world/s.md": article(f"title: T\n{DATE}", body)},
                     config="title: Open Desk\nbase_url: https://example.org/\nraw_html: false\n")
    assert build(run_cli, site).status == 0
    page = site / "public/world/s/index.html"
    parsed = elements(page)
    assert not [tag for tag, a in parsed.tags if tag in ("script", "b") and a.get("type") != "application/ld+json"]
    assert not [a for _, a in parsed.tags if any(name.startswith("on") for name in a)]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.read_text(encoding="utf-8")


# --- output ----------------------------------------------------------------------------------------------------

def test_keep_list_preserves_deploy_files(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site", config="title: T\nbase_url: https://example.org/\nkeep: [.git, CNAME]\n")
    assert build(run_cli, site).status == 0
    write_tree(site / "public", {".git/HEAD": "ref: refs/heads/main\n", ".git/objects/ab/cd": b"\x00obj",
                                 "CNAME": "news.example.org\n", "stray.html": "not ours"})
    (site / "public/.git/link").symlink_to("HEAD")
    write_tree(site, {"content/world/more.md": article(f"title: More\n{DATE}")})
    assert build(run_cli, site).status == 0
    public = site / "public"
    assert (public / "CNAME").read_text() == "news.example.org\n"
    assert (public / ".git/objects/ab/cd").read_bytes() == b"\x00obj"
    assert os.readlink(public / ".git/link") == "HEAD"
    assert not (public / "stray.html").exists()
    assert (public / "world/more/index.html").is_file()
    # No staging or aside folder is left; the build cache may stay.
    leftovers = [p.name for p in tmp_path.joinpath("site").iterdir() if p.name.startswith(".")]
    assert leftovers in ([], [".broadsheet-cache"])


def test_without_keep_files_not_written_by_broadsheet_go(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site")
    assert build(run_cli, site).status == 0
    write_tree(site / "public", {"CNAME": "news.example.org\n"})
    assert build(run_cli, site).status == 0
    assert not (site / "public/CNAME").exists()


# --- no surprises ----------------------------------------------------------------------------------------------

def _package_sources() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((REPO_ROOT / "broadsheet").rglob("*.py"))}


def test_only_the_safe_yaml_loader_is_used() -> None:
    for name, text in _package_sources().items():
        assert not re.search(r"yaml\.(unsafe_load|full_load|load_all|Loader|FullLoader|UnsafeLoader|CLoader"
                             r"|CFullLoader|CUnsafeLoader)\b", text), name
        for call in re.findall(r"yaml\.load\(([^)]*)\)", text):
            assert "Loader=FrontMatterLoader" in call, (name, call)


def test_the_package_runs_no_external_program_and_reads_only_source_date_epoch() -> None:
    for name, text in _package_sources().items():
        if name == "deploy.py":  # `broadsheet deploy` runs git by design; the build never imports it
            continue
        if name == "search.py":  # Pagefind, the one program a build runs, and only with search: true (docs/search.md)
            continue
        assert not re.search(r"\b(subprocess|os\.system|os\.popen|os\.exec\w*|os\.spawn\w*|pty)\b", text), name
        for use in re.findall(r"(?:os\.environ|os\.getenv|environ\.get)[^\n]*", text):
            assert "SOURCE_DATE_EPOCH" in use, (name, use)


def test_environment_variables_never_reach_the_output(tmp_path: Path, run_cli, monkeypatch) -> None:
    monkeypatch.setenv("BROADSHEET_SECRET", "hunter2-token")
    monkeypatch.setenv("HOME", "/home/hunter2-token")
    site = good_site(tmp_path / "site")
    assert build(run_cli, site).status == 0
    assert b"hunter2-token" not in b"".join(read_tree(site / "public").values())
    assert GOOD


# --- determinism -----------------------------------------------------------------------------------------------

def _copy_in_order(source: Path, target: Path, reverse: bool) -> None:
    """Copy a site file by file, in sorted or reversed order, so directory entries are created differently."""
    files = sorted(p for p in source.rglob("*") if p.is_file())
    for path in reversed(files) if reverse else files:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(path.read_bytes())


def test_output_is_identical_whatever_the_time_zone_hash_seed_file_order_and_folder(tmp_path: Path) -> None:
    ties = {f"content/world/tie-{name}.md": article(f"title: Same moment {name}\n{DATE}\ntags: [B, a, C]")
            for name in ("b", "c", "a")}
    outputs = []
    for folder, reverse, zone, seed in (("one/site", False, "America/New_York", "1"),
                                        ("two/deeper/other-name", True, "Asia/Kolkata", "4242")):
        staging = write_tree(tmp_path / "staging" / folder, ties)
        for name in ("site.yaml", "content", "templates", "static"):
            if (REPO_ROOT / name).is_dir():
                _copy_in_order(REPO_ROOT / name, staging / name, reverse)
            else:
                (staging / name).write_bytes((REPO_ROOT / name).read_bytes())
        site = tmp_path / folder
        _copy_in_order(staging, site, reverse)
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        env.update(TZ=zone, PYTHONHASHSEED=seed, PYTHONPATH=str(REPO_ROOT), LC_ALL="C")
        done = subprocess.run([sys.executable, "-m", "broadsheet", "build", "--site", str(site), "--quiet"],
                              env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        outputs.append(read_tree(site / "public"))
    assert outputs[0].keys() == outputs[1].keys()
    assert [path for path in outputs[0] if outputs[0][path] != outputs[1][path]] == []


def test_a_folder_that_is_not_a_build_is_never_replaced(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site")
    documents = write_tree(tmp_path / "documents", {"thesis.docx": b"years of work", "notes/a.txt": "a"})
    before = read_tree(documents)
    result = run_cli("build", "--site", str(site), "--output", str(documents), "--quiet")
    assert result.status == 1
    assert result.err.startswith(f"{documents}: holds files that are not a Broadsheet build (notes, thesis.docx)")
    assert read_tree(documents) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents", "site"]


def test_a_folder_with_an_index_page_that_broadsheet_did_not_build_is_never_replaced(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site")
    www = write_tree(tmp_path / "www", {"index.html": "<p>my own site</p>", "notes.txt": "notes",
                                        "photos/cat.jpg": b"\xff\xd8 a cat"})
    before = read_tree(www)
    for output in (www, site / "public"):  # also the default output, when someone else's site is there
        if output != www:
            write_tree(output, {"index.html": "<p>hand-made</p>", "about.html": "<p>us</p>"})
            before_public = read_tree(output)
        result = run_cli("build", "--site", str(site), "--output", str(output), "--quiet")
        assert result.status == 1 and "Traceback" not in result.err
        assert result.err.splitlines()[0].startswith(f"{output}: holds files that are not a Broadsheet build (")
        assert len(result.err.splitlines()) == 2 and result.err.splitlines()[1].startswith("Failed:")
    assert read_tree(www) == before and read_tree(site / "public") == before_public
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "www"]
    assert not list(site.glob(".public.*"))


@pytest.mark.parametrize("marker", ["{}", "not json", '{"generator": "hugo 0.120"}', '["broadsheet 0.1.0"]'])
def test_a_build_info_file_broadsheet_did_not_write_is_no_marker(tmp_path: Path, run_cli, marker: str) -> None:
    site = good_site(tmp_path / "site")
    out = write_tree(tmp_path / "out", {"index.html": "<p>mine</p>", "build-info.json": marker})
    result = run_cli("build", "--site", str(site), "--output", str(out), "--quiet")
    assert result.status == 1 and (out / "index.html").read_text() == "<p>mine</p>"


def test_builds_of_the_previous_version_an_empty_folder_and_a_missing_one_are_replaced(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site")
    # As the version before this one left it: its build-info file, without the list of files written.
    old = write_tree(tmp_path / "old", {"index.html": "<p>old</p>", "world/old/index.html": "<p>old</p>",
                                        "build-info.json": '{\n  "generator": "broadsheet 0.1.0",\n  "base_url": '
                                                           '"https://example.org/",\n  "drafts": false,\n  "future": '
                                                           'false,\n  "now": null,\n  "preview": false\n}\n'})
    (tmp_path / "empty").mkdir()
    for output in (old, tmp_path / "empty", tmp_path / "missing"):
        result = run_cli("build", "--site", str(site), "--output", str(output), "--quiet")
        assert (result.status, result.err) == (0, "")
        assert (output / "world/good/index.html").is_file() and not (output / "world/old").exists()


@pytest.mark.parametrize("cache, output, message", [
    ("public/.cache", "public", "{cache}: the cache folder cannot be inside the output folder {output}"),
    ("public/a/b", "public", "{cache}: the cache folder cannot be inside the output folder {output}"),
    (".public.broadsheet-new", "public", "{cache}: the cache folder cannot be inside the output folder {output}"),
    ("public", "public", "{cache}: the cache folder cannot be the output folder"),
    ("cache", "cache/public", "{output}: the output folder cannot be inside the cache folder {cache}"),
])
def test_a_cache_inside_the_output_or_an_output_inside_the_cache_is_refused(tmp_path: Path, run_cli, cache: str,
                                                                           output: str, message: str) -> None:
    site = good_site(tmp_path / "site")
    assert build(run_cli, site).status == 0
    before, names = read_tree(site), sorted(site.rglob("*"))
    result = run_cli("build", "--site", str(site), "--output", str(site / output), "--cache-dir", str(site / cache))
    assert result.status == 1 and "Traceback" not in result.err
    assert result.err.splitlines()[0].startswith(message.format(cache=site / cache, output=site / output))
    assert read_tree(site) == before and sorted(site.rglob("*")) == names  # nothing written, not even a folder


def test_a_cache_reached_through_a_link_into_the_output_is_refused(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site")
    assert build(run_cli, site).status == 0
    (tmp_path / "cache-link").symlink_to(site / "public", target_is_directory=True)
    result = run_cli("build", "--site", str(site), "--cache-dir", str(tmp_path / "cache-link/c"))
    assert result.status == 1 and "the cache folder cannot be inside the output folder" in result.err
    assert not (site / "public/c").exists()


def test_a_deploy_checkout_listed_in_keep_is_a_valid_first_output(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site", config="title: T\nbase_url: https://example.org/\nkeep: [.git, CNAME]\n")
    write_tree(site / "public", {".git/HEAD": "ref: refs/heads/gh-pages\n", "CNAME": "news.example.org\n"})
    assert build(run_cli, site).status == 0
    assert (site / "public/.git/HEAD").is_file() and (site / "public/index.html").is_file()


def test_an_output_that_is_a_link_is_refused(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site")
    (tmp_path / "www").mkdir()
    (site / "public").symlink_to(tmp_path / "www", target_is_directory=True)
    result = build(run_cli, site)
    assert result.status == 1 and "the output must be a plain folder, not a link" in result.err
    assert list((tmp_path / "www").iterdir()) == []


@pytest.mark.parametrize("static_path, same", [("index.html", "URL as templates/list.html"),
                                               ("World/Index.HTML", "/world/index.html as templates/list.html"),
                                               ("404.html", "URL as templates/404.html"),
                                               ("world/GOOD/index.html", ("/world/good/index.html as "
                                                                         "content/world/good.md"))])
def test_a_static_file_never_silently_replaces_a_page(tmp_path: Path, run_cli, static_path, same) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {f"static/{static_path}": "<p>stray</p>"})
    assert problem_lines(err) == [(f"static/{static_path}:1: is published at /{static_path}, the same {same} "
                                  "(rename one of them; URLs that differ only in letter case collide)")]


def test_the_output_guard_refuses_a_second_write_to_one_path(tmp_path: Path) -> None:
    output = OutputFolder(tmp_path / "public")
    output.begin()
    output.write("world/a/index.html", b"first")
    with pytest.raises(SiteError, match=r"already written for the page /world/a/index\.html"):
        output.write("World/A/index.html", b"second")
    output.abort()


@pytest.mark.parametrize("files, culprit", [
    ({"content/tags/europe.md": article(f"title: Europe\n{DATE}\ntags: [x]"),
      "content/world/a.md": article(f"title: A\n{DATE}\ntags: [Europe]")}, "content/tags/europe.md"),
    ({"content/authors/Staff.md": article(f"title: Staff\n{DATE}\nauthor: Desk"),
      "content/world/a.md": article(f"title: A\n{DATE}\nauthor: STAFF")}, "content/authors/Staff.md"),
])
def test_an_article_at_a_tag_or_author_page_url_collides(tmp_path: Path, run_cli, files, culprit) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, files)
    assert any(line.startswith(f"{culprit}:") for line in err.splitlines()), err
