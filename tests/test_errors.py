"""Every mistake in the content fails the build as `path:line: message`, all at once, with the previous output
untouched: one broken site per failure mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from badsite import GOOD, article, fails_cleanly, good_site, problem_lines

A = "content/world/story.md"
DATE = "date: 2024-03-02T09:00:00Z"

# (id, {file: content}, expected "path:line: ..." start, fragments the line must contain)
CASES = [
    ("title-no", {A: article(f"title: no\n{DATE}")}, f"{A}:2:", ["'title' must be text", "quote the title: YAML reads `no` as false"]),
    ("title-number", {A: article(f"title: 1.0\n{DATE}")}, f"{A}:2:", ["quote the title", "`1.0`"]),
    ("slug-octal", {A: article(f"title: T\n{DATE}\nslug: 0755")}, f"{A}:4:", ["'slug' must be text", "`0755`"]),
    ("draft-string", {A: article(f"title: T\n{DATE}\ndraft: 'yes'")}, f"{A}:4:", ["'draft' must be true or false"]),
    ("tags-number", {A: article(f"title: T\n{DATE}\ntags: [2024, Votes]")}, f"{A}:4:", ["'tags' must be a list", "quote 2024"]),
    ("tags-mapping", {A: article(f"title: T\n{DATE}\ntags: {{a: b}}")}, f"{A}:4:", ["'tags' must be a list"]),
    ("date-not-calendar", {A: article("title: T\ndate: 2024-02-30")}, f"{A}:3:", ["'date' is not a valid date", "2024-02-30"]),
    ("date-month-13", {A: article("title: T\ndate: 2024-13-01T10:00:00")}, f"{A}:3:", ["'date' is not a valid date"]),
    ("date-words", {A: article("title: T\ndate: last tuesday")}, f"{A}:3:", ["'date' is not a valid date"]),
    ("date-year-1", {A: article("title: T\ndate: 0001-01-01")}, f"{A}:3:", ["'date' is not a valid date"]),
    ("date-missing", {A: article("title: T")}, f"{A}:1:", ["missing 'date'"]),
    ("title-missing", {A: article(DATE)}, f"{A}:1:", ["missing 'title'"]),
    ("title-empty", {A: article(f"title: ''\n{DATE}")}, f"{A}:2:", ["'title' is empty"]),
    ("updated-before-date", {A: article(f"title: T\n{DATE}\nupdated: 2024-01-01")}, f"{A}:4:", ["'updated' is before 'date'"]),
    ("duplicate-key", {A: article(f"title: T\n{DATE}\ntitle: U")}, f"{A}:4:", ["duplicate key 'title'"]),
    ("colon-in-title", {A: article(f"title: Breaking: news\n{DATE}")}, f"{A}:2:", ["invalid front matter", "quote the value"]),
    ("tab-indent", {A: article(f"title: T\n{DATE}\ntags:\n\t- a")}, f"{A}:5:", ["invalid front matter", "spaces, not tabs"]),
    ("alias", {A: article(f"title: &t T\n{DATE}\nsummary: *t")}, f"{A}:2:", ["anchors and aliases"]),
    ("billion-laughs", {A: article("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                                    f"c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\ntitle: T\n{DATE}")}, f"{A}:2:", ["anchors and aliases"]),
    ("deep-nesting", {A: article(f"title: T\n{DATE}\nx: " + "[" * 100_000 + "]" * 100_000)}, f"{A}:4:", ["nests deeper"]),
    ("nesting-flow-21", {A: article(f"title: T\n{DATE}\nx: " + "[" * 21 + "]" * 21)}, f"{A}:4:", ["nests deeper"]),
    ("nesting-block-21", {A: article(f"title: T\n{DATE}\nx:\n" + "".join(" " * (2 * i) + f"k{i}:\n" for i in range(1, 21))
                                     + " " * 42 + "v: 1")}, f"{A}:24:", ["nests deeper"]),
    ("python-tag", {A: article(f"title: !!python/object/apply:os.system ['true']\n{DATE}")}, f"{A}:2:",
     ["invalid front matter", "python/object"]),
    ("control-character", {A: article(f"title: T\n{DATE}\nkicker: a\x1fb")}, f"{A}:4:", ["U+001F is not allowed"]),
    ("not-a-mapping", {A: article("- title\n- date")}, f"{A}:2:", ["must be a mapping"]),
    ("front-matter-unclosed", {A: "---\ntitle: T\n" + DATE + "\n\nBody\n"}, f"{A}:1:", ["not closed"]),
    ("no-front-matter", {A: "# Just a body\n"}, f"{A}:1:", ["no front matter"]),
    ("bad-type", {A: article(f"title: T\n{DATE}\ntype: video")}, f"{A}:4:", ["'type' must be 'article' or 'page'"]),
    ("image-no-alt", {A: article(f"title: T\n{DATE}\nimage: https://example.org/a.jpg")}, f"{A}:4:", ["image_alt"]),
    ("image-javascript", {A: article(f"title: T\n{DATE}\nimage: 'javascript:alert(1)'\nimage_alt: x")}, f"{A}:4:",
     ["must be a path under static/ or an http(s) URL"]),
    ("image-traversal", {A: article(f"title: T\n{DATE}\nimage: ../../etc/passwd\nimage_alt: x")}, f"{A}:4:",
     ["plain path under static/"]),
    ("image-missing", {A: article(f"title: T\n{DATE}\nimage: images/nowhere.jpg\nimage_alt: x")}, f"{A}:4:",
     ["is not a file under static/"]),
    ("section-empty-slug", {A: article(f"title: T\n{DATE}\nsection: '!!!'")}, f"{A}:4:", ["empty URL segment"]),
    ("tag-empty-slug", {A: article(f"title: T\n{DATE}\ntags: ['***']")}, f"{A}:4:", ["empty URL segment"]),
    ("no-slug-possible", {"content/world/---.md": article(f"title: '???'\n{DATE}")}, "content/world/---.md:2:",
     ["cannot make a URL slug"]),
    ("invalid-utf8", {A: article(f"title: T\n{DATE}", "line one\n\nline \xff three\n").encode("latin-1")}, f"{A}:8:",
     ["not valid UTF-8"]),
    ("utf16", {A: article(f"title: T\n{DATE}").encode("utf-16")}, f"{A}:1:", ["not valid UTF-8"]),
    ("nul-byte", {A: article(f"title: T\n{DATE}", "a\n\nb\x00c\n")}, f"{A}:8:", ["not valid UTF-8"]),
    ("invalid-utf8-crlf", {A: article(f"title: T\n{DATE}", "one\n\xff\n").replace("\n", "\r\n").encode("latin-1")},
     f"{A}:7:", ["not valid UTF-8"]),
    ("invalid-utf8-cr", {A: article(f"title: T\n{DATE}", "one\n\xff\n").replace("\n", "\r").encode("latin-1")},
     f"{A}:7:", ["not valid UTF-8"]),
    ("crlf-line-numbers", {A: article(f"title: no\n{DATE}").replace("\n", "\r\n")}, f"{A}:2:", ["quote the title"]),
    ("cr-line-numbers", {A: article(f"title: T\n{DATE}\ndraft: maybe").replace("\n", "\r")}, f"{A}:4:", ["'draft'"]),
    ("bom-line-numbers", {A: "\ufeff" + article(f"title: T\n{DATE}\ndraft: maybe")}, f"{A}:4:", ["'draft'"]),
]


@pytest.mark.parametrize("files, where, fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_content_fails_with_path_and_line(tmp_path: Path, run_cli, files, where, fragments) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, files)
    matching = [line for line in err.splitlines() if line.startswith(where)]
    assert matching, err
    for fragment in fragments:
        assert any(fragment in line for line in matching), (fragment, err)


SITE_CASES = [
    ("unknown-key", "title: T\nper_pgae: 5\n", "site.yaml:2:", ["unknown key 'per_pgae'", "did you mean 'per_page'"]),
    ("wrong-type", "title: T\nper_page: ten\n", "site.yaml:2:", ["'per_page' must be a positive whole number"]),
    ("raw-html-not-bool", "raw_html: 'no'\n", "site.yaml:1:", ["'raw_html' must be true or false"]),
    ("permalink-traversal", "permalink: /../{slug}/\n", "site.yaml:1:", ["bad permalink"]),
    ("keep-outside", "keep: [../secrets]\n", "site.yaml:1:", ["'keep' entry '../secrets'"]),
    ("duplicate-key", "title: A\ntitle: B\n", "site.yaml:2:", ["duplicate key 'title'"]),
    ("alias", "title: &t A\ndescription: *t\n", "site.yaml:1:", ["anchors and aliases"]),
    ("invalid-utf8", "title: A\n\ndescription: caf\xe9\n", "site.yaml:3:", ["not valid UTF-8"]),
    ("bad-yaml", "title: A\n  x: [\n", "site.yaml:2:", ["invalid site.yaml"]),
]


@pytest.mark.parametrize("text, where, fragments", [c[1:] for c in SITE_CASES], ids=[c[0] for c in SITE_CASES])
def test_bad_site_yaml_fails_with_line(tmp_path: Path, run_cli, text, where, fragments) -> None:
    site = good_site(tmp_path / "site")
    data = text.encode("latin-1") if "invalid-utf8" in where or "\xe9" in text else text
    err = fails_cleanly(site, run_cli, {"site.yaml": data})
    matching = [line for line in err.splitlines() if line.startswith(where)]
    assert matching, err
    for fragment in fragments:
        assert any(fragment in line for line in matching), (fragment, err)


def test_all_problems_of_all_files_are_listed_at_once(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {
        "content/world/a.md": article(f"title: no\n{DATE}\ndraft: perhaps"),
        "content/sports/b.md": article("title: B\ndate: 2024-02-31"),
        "content/business/c.md": "no front matter\n",
    })
    assert problem_lines(err) == [
        "content/business/c.md:1: no front matter (start the file with a '---' line, then title: and date:, then '---')",
        ("content/sports/b.md:3: 'date' is not a valid date: '2024-02-31' "
         "(write it as 2024-05-01 or 2024-05-01T09:00:00+02:00)"),
        "content/world/a.md:2: 'title' must be text, not false (quote the title: YAML reads `no` as false)",
        "content/world/a.md:4: 'draft' must be true or false, not 'perhaps'",
    ]
    assert err.splitlines()[-1] == "Failed: 4 problems; nothing was changed in the output."


@pytest.mark.parametrize("key, known", [("sumary", "summary"), ("tittle", "title"), ("tag", "tags"),
                                        ("Date", "date"), ("auhtor", "author")])
def test_near_miss_key_warns_with_did_you_mean_and_builds(tmp_path: Path, run_cli, key, known) -> None:
    site = good_site(tmp_path / "site", {A: article(f"title: T\n{DATE}\n{key}: something")})
    result = run_cli("build", "--site", str(site), "--quiet")
    assert result.status == 0
    assert result.err.splitlines() == [(f"{A}:4: warning: unknown key '{key}' is kept as a custom field "
                                        f"(did you mean '{known}'?)")]
    assert (site / "public/world/story/index.html").is_file()


def test_custom_keys_that_are_not_near_misses_are_quiet(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site", {A: article(f"title: T\n{DATE}\nsubtitle: S\nphotographer: P\nkicker: K")})
    result = run_cli("build", "--site", str(site), "--quiet")
    assert (result.status, result.err) == (0, "")


def test_warnings_are_shown_with_errors_of_a_failed_build(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {A: article(f"title: T\n{DATE}\nsumary: S"),
                                        "content/world/b.md": article("title: no\n" + DATE)})
    assert problem_lines(err) == [
        "content/world/b.md:2: 'title' must be text, not false (quote the title: YAML reads `no` as false)",
        f"{A}:4: warning: unknown key 'sumary' is kept as a custom field (did you mean 'summary'?)",
    ]
    assert err.splitlines()[-1] == "Failed: 1 problem; nothing was changed in the output."


def test_good_files_with_crlf_cr_and_bom_build(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site", {
        "content/world/crlf.md": GOOD.replace("A good story", "Crlf story").replace("\n", "\r\n"),
        "content/world/cr.md": GOOD.replace("A good story", "Cr story").replace("\n", "\r"),
        "content/world/bom.md": "\ufeff" + GOOD.replace("A good story", "Bom story"),
    })
    result = run_cli("build", "--site", str(site), "--quiet")
    assert result.status == 0, result.err
    for slug, title in (("crlf", "Crlf story"), ("cr", "Cr story"), ("bom", "Bom story")):
        page = (site / f"public/world/{slug}/index.html").read_text(encoding="utf-8")
        assert f"<h1>{title}</h1>" in page
        assert "\r" not in page and "\ufeff" not in page
