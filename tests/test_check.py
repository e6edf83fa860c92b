"""`broadsheet check` finds every problem a build would hit, and more, without writing anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from badsite import article, good_site
from conftest import REPO_ROOT, read_tree, write_tree
from imagefiles import photo

DATE = "date: 2024-03-02T09:00:00Z"
WRITTEN = "summary: Written by a person."


def check(run_cli, site: Path, *args: str):
    """Run `broadsheet check` and assert it wrote nothing anywhere in the site's parent folder."""
    before = read_tree(site.parent)
    result = run_cli("check", "--site", str(site), "--now", "2024-06-01T00:00", *args)
    assert read_tree(site.parent) == before
    assert not (site / "public").exists()
    return result


def lines(result) -> list[str]:
    return result.out.splitlines()[:-1]


def test_a_clean_site_passes(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site", {"content/world/good.md": article(f"title: Good\n{DATE}\n{WRITTEN}")})
    result = check(run_cli, site, "--strict")
    assert (result.status, result.out) == (0, "Checked 9 pages: 0 errors, 0 warnings.\n")


def test_the_sample_site_has_no_errors(sample_site: Path, run_cli) -> None:
    result = run_cli("check", "--site", str(sample_site))
    assert result.status == 0, result.out
    assert not (sample_site / "public").exists()


def test_front_matter_problems_of_every_file_are_listed(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site", {
        "content/world/good.md": article(f"title: Good\n{DATE}\n{WRITTEN}", "Links to [a](/world/a/)."),
        "content/world/a.md": article(f"title: no\n{DATE}"),
        "content/world/b.md": article("title: B\ndate: 2024-02-30\nsumary: S"),
        "content/world/c.md": article(f"title: C\n{DATE}\n{WRITTEN}", "![](/images/missing.png)"),
    })
    result = check(run_cli, site)
    assert result.status == 1
    assert lines(result) == [
        "content/world/a.md:2: 'title' must be text, not false (quote the title: YAML reads `no` as false)",
        ("content/world/b.md:3: 'date' is not a valid date: '2024-02-30' (write it as 2024-05-01 or "
        "2024-05-01T09:00:00+02:00)"),
        "content/world/b.md:4: warning: unknown key 'sumary' is kept as a custom field (did you mean 'summary'?)",
        ("content/world/c.md:7: warning: image /images/missing.png has empty alt text (on /world/c/index.html) "
        "(describe it unless it is purely decorative)"),
        ("content/world/c.md:7: missing image /images/missing.png (on /world/c/index.html: not in the site) "
        "(check the path; static files are published at their path under static/)"),
        # A link to a file with errors is broken all the same; the line says why.
        ("content/world/good.md:7: broken link to /world/a/ (on /world/good/index.html: not in the site) "
         "(content/world/a.md has errors, so its page is missing: fix it first)"),
    ]
    assert result.out.splitlines()[-1] == "Checked 10 pages: 4 errors, 2 warnings."


def test_url_collisions_are_errors(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site", {"content/world/Twin.md": article(f"title: A\n{DATE}\n{WRITTEN}"),
                                         "content/world/twin.md": article(f"title: B\n{DATE}\n{WRITTEN}")})
    result = check(run_cli, site)
    assert result.status == 1
    assert any(line.startswith("content/world/twin.md:1: ") and "content/world/Twin.md" in line
               for line in lines(result)), result.out


def test_broken_internal_links_and_missing_images_name_the_line(tmp_path: Path, run_cli) -> None:
    body = ("Lead paragraph.\n\nSee [the budget](/world/budget-2025/) and [ok](/world/good/).\n\n"
            "![A chart](/images/chart.png)\n\nAlso [relative](../nowhere/) and [outside](https://example.com/x).\n")
    site = good_site(tmp_path / "site", {
        "content/world/good.md": article(f"title: Good\n{DATE}\n{WRITTEN}"),
        "content/world/links.md": article(f"title: Links\n{DATE}\n{WRITTEN}", body),
    })
    result = check(run_cli, site)
    assert result.status == 1
    assert lines(result) == [
        ("content/world/links.md:9: broken link to /world/budget-2025/ (on /world/links/index.html: not in the site) "
        "(check the path; static files are published at their path under static/)"),
        ("content/world/links.md:11: missing image /images/chart.png (on /world/links/index.html: not in the site) "
        "(check the path; static files are published at their path under static/)"),
        ("content/world/links.md:13: broken link to ../nowhere/ (on /world/links/index.html: not in the site) "
        "(check the path; static files are published at their path under static/)"),
    ]


def test_links_to_static_files_and_pages_resolve(tmp_path: Path, run_cli) -> None:
    body = "[Home](/) [World](/world/) [Page 1](../) [Chart](/images/chart.png) [Me](#top) [Mail](mailto:a@b.c)\n"
    site = good_site(tmp_path / "site", {
        "static/images/chart.png": photo(40, 30, "PNG"),
        "content/world/good.md": article(f"title: Good\n{DATE}\n{WRITTEN}"),
        "content/world/links.md": article(f"title: Links\n{DATE}\n{WRITTEN}", body),
    })
    result = check(run_cli, site, "--strict")
    assert result.status == 0, result.out


def test_under_a_base_path_root_relative_links_get_it(tmp_path: Path, run_cli) -> None:
    # Root-relative links in Markdown are site paths: the build puts base_url's path (/news/) in front.
    body = "[Right](/world/good/) and [absolute](https://example.org/news/world/x/)\n"
    site = good_site(tmp_path / "site", {
        "content/world/good.md": article(f"title: Good\n{DATE}\n{WRITTEN}"),
        "content/world/links.md": article(f"title: Links\n{DATE}\n{WRITTEN}", body),
    }, config="title: T\nbase_url: https://example.org/news/\n")
    result = check(run_cli, site)
    assert result.status == 1
    assert [line.split(" (")[0] for line in lines(result)] == [
        "content/world/links.md:7: broken link to https://example.org/news/world/x/"]


def test_missing_alt_text(tmp_path: Path, run_cli) -> None:
    body = "Lead.\n\n<img src=\"/images/a.png\">\n\n![](/images/b.png)\n"
    site = good_site(tmp_path / "site", {"static/images/a.png": photo(40, 30, "PNG"), "static/images/b.png": photo(40, 30, "PNG"),
                                         "content/world/good.md": article(f"title: Good\n{DATE}\n{WRITTEN}"),
                                         "content/world/img.md": article(f"title: I\n{DATE}\n{WRITTEN}", body)})
    result = check(run_cli, site)
    assert result.status == 1
    assert [line.split(" (")[0] for line in lines(result)] == [
        "content/world/img.md:9: image /images/a.png has no alt text",
        "content/world/img.md:11: warning: image /images/b.png has empty alt text",
    ]


@pytest.mark.parametrize("hidden, why", [
    ("draft: true", "a draft"),
    ("date: 2030-01-01T00:00:00Z", "scheduled for later or expired"),
    ("expires: 2024-04-01T00:00:00Z", "scheduled for later or expired"),
])
def test_links_to_unpublished_articles_are_leaks(tmp_path: Path, run_cli, hidden, why) -> None:
    front = f"title: Secret\n{hidden}\n{WRITTEN}" + ("" if hidden.startswith("date") else f"\n{DATE}")
    site = good_site(tmp_path / "site", {
        "content/world/secret.md": article(front),
        "content/world/good.md": article(f"title: Good\n{DATE}\n{WRITTEN}", "Lead.\n\nRead [more](/world/secret/).\n"),
    })
    result = check(run_cli, site)
    assert result.status == 1
    assert lines(result) == [
        (f"content/world/good.md:9: /world/good/index.html links to /world/secret/, which is not published "
        f"(content/world/secret.md is {why}) (remove the link or publish it)")]
    assert check(run_cli, site, "--drafts", "--future", "--now", "2024-03-03T00:00").status == 0


def test_missing_human_summary_is_a_warning_and_strict_fails(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site", {
        "content/world/good.md": article(f"title: Good\n{DATE}", "The lead, made into a summary by machine.\n"),
        "content/world/more.md": article(f"title: More\n{DATE}", "A written lead.\n\n<!--more-->\n\nThe rest.\n"),
        "content/pages/about.md": article("title: About"),
    })
    result = check(run_cli, site)
    assert result.status == 0
    assert lines(result) == [("content/world/good.md:1: warning: has no summary written by a person (add 'summary:' "
                             "to the front matter, or a <!--more--> line after the lead)")]
    assert check(run_cli, site, "--strict").status == 1


def test_template_errors_are_found(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site", {"content/world/good.md": article(f"title: Good\n{DATE}\n{WRITTEN}"),
                                         "templates/404.html": "{% extends 'base.html' %}\n{% block main %}{{ nonsense.field }}{% endblock %}\n"})
    result = check(run_cli, site)
    assert result.status == 1
    assert lines(result)[0].startswith("templates/404.html:2: template error")


def test_python_build_py_check_runs_the_cli(tmp_path: Path) -> None:
    site = good_site(tmp_path / "site", {"content/world/bad.md": article("title: no\n" + DATE)})
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, str(REPO_ROOT / "build.py"), "check", "--site", str(site)],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 1
    assert done.stdout.startswith("content/world/bad.md:2: 'title' must be text")
    write_tree(site, {"content/world/bad.md": article(f"title: Fine\n{DATE}\n{WRITTEN}")})
    done = subprocess.run([sys.executable, str(REPO_ROOT / "build.py"), "check", "--site", str(site)],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "Checked 10 pages: 0 errors, 1 warning."), done.stdout


def test_a_static_file_at_a_page_url_is_a_collision(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site", {"content/world/good.md": article(f"title: Good\n{DATE}\n{WRITTEN}"),
                                         "static/world/good/index.html": "<p>old export</p>"})
    result = check(run_cli, site)
    assert result.status == 1
    assert lines(result) == [("static/world/good/index.html:1: is published at /world/good/index.html, the same URL as "
                             "content/world/good.md (rename one of them; URLs that differ only in letter case collide)")]


def test_broken_links_are_all_reported_when_another_file_has_an_error(tmp_path: Path, run_cli) -> None:
    # One bad date used to make every broken link of the site go unreported, and the summary said nothing.
    links = "\n\n".join(f"See [story {n}](/world/nowhere-{n}/)." for n in range(30))
    site = good_site(tmp_path / "site", {
        "content/world/links.md": article(f"title: Links\n{DATE}\n{WRITTEN}", links),
        "content/world/bad-date.md": article(f"title: Bad\ndate: 2024-02-31\n{WRITTEN}"),
    })
    result = check(run_cli, site)
    assert result.status == 1
    broken = [line for line in lines(result) if "broken link" in line]
    assert len(broken) == 30
    assert broken[0] == ("content/world/links.md:7: broken link to /world/nowhere-0/ (on /world/links/index.html: "
                         "not in the site) (check the path; static files are published at their path under static/)")
    assert result.out.splitlines()[-1] == "Checked 10 pages: 31 errors, 1 warning."  # (good.md has no summary)


def _unsummarised_site(root: Path, count: int, config: str = "") -> Path:
    files = {f"content/world/story-{n}.md": article(f"title: Story {n}\n{DATE}") for n in range(count)}
    return good_site(root, {**files, "content/world/good.md": article(f"title: Good\n{DATE}\n{WRITTEN}",
                                                                        "![](/missing.png)")},
                     "title: Checked Daily\nbase_url: https://example.org/\n" + config)


def test_repeated_warnings_are_grouped_by_kind_and_verbose_lists_them(tmp_path: Path, run_cli) -> None:
    site = _unsummarised_site(tmp_path / "site", 5)
    result = check(run_cli, site)
    assert result.status == 1
    assert lines(result) == [
        ("content/world/good.md:7: warning: image /missing.png has empty alt text (on /world/good/index.html) "
         "(describe it unless it is purely decorative)"),
        ("content/world/good.md:7: missing image /missing.png (on /world/good/index.html: not in the site) "
         "(check the path; static files are published at their path under static/)"),
        ("warning: 5 articles have no summary written by a person [missing_summary]; first: "
         "content/world/story-0.md:1 (add 'summary:' to the front matter, or a <!--more--> line after the lead); "
         "all with --verbose, none with 'warnings: {missing_summary: false}' in site.yaml"),
    ]
    assert result.out.splitlines()[-1] == "Checked 14 pages: 1 error, 6 warnings."
    verbose = check(run_cli, site, "--verbose")
    assert sum(line.endswith("[missing_summary]") for line in lines(verbose)) == 5
    assert any(line.endswith("[missing_image]") for line in lines(verbose))


def test_site_yaml_turns_a_kind_of_warning_off(tmp_path: Path, run_cli) -> None:
    site = _unsummarised_site(tmp_path / "site", 5, "warnings:\n  missing_summary: false\n  empty_alt_text: false\n")
    result = check(run_cli, site, "--strict")
    assert result.status == 1  # the missing image is an error all the same
    assert [line.split(": ")[0] for line in lines(result)] == ["content/world/good.md:7"]
    assert result.out.splitlines()[-1] == "Checked 14 pages: 1 error, 0 warnings (6 more of kinds site.yaml turns off)."
    typo = _unsummarised_site(tmp_path / "typo", 1, "warnings:\n  missing_sumary: false\n")
    bad = check(run_cli, typo)
    assert bad.status == 1
    assert bad.err.splitlines()[0] == ("site.yaml:4: unknown key 'warnings.missing_sumary' (did you mean "
                                       "'warnings.missing_summary'?)")


def test_json_format_gives_one_object_per_problem(tmp_path: Path, run_cli) -> None:
    import json

    site = _unsummarised_site(tmp_path / "site", 5)
    result = check(run_cli, site, "--format", "json")
    assert result.status == 1
    found = [json.loads(line) for line in result.out.splitlines()]
    assert len(found) == 7
    assert all(set(item) == {"path", "line", "kind", "severity", "message", "hint"} for item in found)
    assert found[-1] == {"path": "content/world/story-4.md", "line": 1, "kind": "missing_summary",
                         "severity": "warning", "message": "has no summary written by a person",
                         "hint": "add 'summary:' to the front matter, or a <!--more--> line after the lead"}
    missing = next(item for item in found if item["severity"] == "error")
    assert (missing["path"], missing["line"], missing["kind"]) == ("content/world/good.md", 7, "missing_image")


def test_every_warning_kind_is_documented() -> None:
    from broadsheet.warning_kinds import ERROR_KINDS, WARNING_KINDS

    page = (REPO_ROOT / "docs" / "check.md").read_text(encoding="utf-8")
    for kind in (*WARNING_KINDS, *ERROR_KINDS):
        assert f"`{kind}`" in page, kind


def test_a_kind_turned_off_is_off_for_build_too(tmp_path: Path, run_cli) -> None:
    files = {"content/world/links.md": article(f"title: Links\n{DATE}\n{WRITTEN}", "See [the draft](draft.md).\n"),
             "content/world/draft.md": article(f"title: Draft\n{DATE}\n{WRITTEN}\ndraft: true")}
    loud = good_site(tmp_path / "loud", files)
    result = run_cli("build", "--site", str(loud), "-q")
    assert result.err == ("content/world/links.md:7: warning: links to an unpublished article: content/world/draft.md "
                          "(fix the link or publish the article)\n")
    quiet = good_site(tmp_path / "quiet", files, "title: T\nwarnings: {link_to_unpublished: false}\n")
    result = run_cli("build", "--site", str(quiet), "-q", "--strict")
    assert (result.status, result.err) == (0, "")
