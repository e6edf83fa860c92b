"""Names Windows cannot hold (CON, PRN, AUX, NUL, COM0-9, LPT0-9, in any case, with any extension) never become a
file or folder of the published site, whose branch a newsroom may clone on Windows: each is refused with a line
naming the file (and the key to change), rather than renamed behind the writer's back."""

from __future__ import annotations

from pathlib import Path

import pytest
from badsite import article, fails_cleanly, good_site, problem_lines
from imagefiles import photo

from broadsheet.slugs import is_reserved_on_windows

DATE = "date: 2024-03-02T09:00:00Z"
HINT = "Windows cannot hold a file or folder named CON, PRN, AUX, NUL, COM0-9 or LPT0-9, with any extension"
PATH_HINT = HINT + ', nor a name holding < > : " | ? * \\ or ending in a dot or a space'


@pytest.mark.parametrize("name", ["CON", "con", "Nul", "aux.md", "prn.tar.gz", "COM1", "lpt9.html", "com0", "nul "])
def test_reserved_names(name: str) -> None:
    assert is_reserved_on_windows(name)


@pytest.mark.parametrize("name", ["console", "nullable", "com10", "lpt", "a-con", "auxiliary.md", "con-news"])
def test_names_that_only_look_reserved(name: str) -> None:
    assert not is_reserved_on_windows(name)


SLUG_FIX = f"(add 'slug: {{slug}}-news' or another slug to the front matter; {HINT})"
MESSAGE = "its URL folder would be '{slug}', a name Windows does not allow (a clone of the published site fails there)"


@pytest.mark.parametrize("path, front, line, slug", [
    ("content/world/con.md", "title: Con", 1, "con"),  # from the file's name
    ("content/world/NUL.md", "title: Nul", 1, "nul"),
    ("content/world/story.md", "title: Story\nslug: aux", 3, "aux"),  # from slug:
    ("content/world/---.md", "title: Com1", 2, "com1"),  # from the title
    ("content/pages/prn.md", "title: Printer\ntype: page", 1, "prn"),
])
def test_an_article_whose_url_folder_windows_refuses_is_an_error(tmp_path: Path, run_cli, path: str, front: str,
                                                                 line: int, slug: str) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {path: article(f"{front}\n{DATE}")})
    assert problem_lines(err) == [f"{path}:{line}: {MESSAGE.format(slug=slug)} {SLUG_FIX.format(slug=slug)}"]


@pytest.mark.parametrize("front, expected", [
    ("section: Con", ("content/world/story.md:4: the section's URL folder would be 'con', a name Windows does not "
                     f"allow (name the section otherwise (or set its folder in 'section:'); {HINT})")),
    ("tags: [fine, LPT1]", ("content/world/story.md:4: tag 'LPT1' would have the URL folder 'lpt1', a name Windows "
                           f"does not allow ({HINT})")),
    ("author: Aux", ("content/world/story.md:4: author 'Aux' would have the URL folder 'aux', a name Windows does "
                    f"not allow ({HINT})")),
    ("aliases: [/old/nul.html]", ("content/world/story.md:4: alias '/old/nul.html' holds 'nul.html', a name Windows "
                                 f"does not allow ({PATH_HINT})")),
    ("aliases: ['/2024/vote:live/']", ("content/world/story.md:4: alias '/2024/vote:live/' holds 'vote:live', a "
                                       f"name Windows does not allow ({PATH_HINT})")),
    ("aliases: [/old/v1./]", ("content/world/story.md:4: alias '/old/v1./' holds 'v1.', a name Windows does not "
                              f"allow ({PATH_HINT})")),
])
def test_a_section_tag_author_or_alias_windows_refuses_is_an_error_at_its_line(tmp_path: Path, run_cli,
                                                                              front: str, expected: str) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {"content/world/story.md": article(f"title: Story\n{DATE}\n{front}")})
    assert problem_lines(err) == [expected]


def test_a_section_folder_windows_refuses_is_an_error(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {"content/con/story.md": article(f"title: Story\n{DATE}")})
    assert problem_lines(err) == [
        ("content/con/story.md:1: the section's URL folder would be 'con', a name Windows does not allow (name the "
        f"section otherwise (or set its folder in 'section:'); {HINT})")]


def test_a_static_file_windows_refuses_is_an_error(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {"static/files/aux.pdf": b"%PDF", "static/Com3/x.txt": "x",
                                        "static/images/map: north.png": photo(40, 30, "PNG")})
    assert [line for line in err.splitlines() if line.startswith("static/")] == [
        (f"static/Com3/x.txt: 'Com3' is a name Windows does not allow (a clone of the published site fails there) "
         f"(rename it; {PATH_HINT})"),
        (f"static/files/aux.pdf: 'aux.pdf' is a name Windows does not allow (a clone of the published site fails "
         f"there) (rename it; {PATH_HINT})"),
        (f"static/images/map: north.png: 'map: north.png' is a name Windows does not allow (a clone of the published "
         f"site fails there) (rename it; {PATH_HINT})")]


@pytest.mark.parametrize("config, expected", [
    ("author: Con\n", (f"site.yaml:2: author 'Con' would have the URL folder 'con', a name Windows does not allow "
                      f"({HINT})")),
    ("permalink: /nul/{slug}/\n", (f"site.yaml:2: permalink '/nul/{{slug}}/' holds 'nul', a name Windows does not "
                                  f"allow ({PATH_HINT})")),
])
def test_site_yaml_names_windows_refuses_are_errors(tmp_path: Path, run_cli, config: str, expected: str) -> None:
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {"site.yaml": "title: Bad Input Daily\n" + config})
    assert problem_lines(err) == [expected]


def test_check_reports_them_too(tmp_path: Path, run_cli) -> None:
    site = good_site(tmp_path / "site", {"content/world/con.md": article(f"title: Con\n{DATE}")})
    result = run_cli("check", "--site", str(site))
    assert result.status == 1
    assert f"content/world/con.md:1: {MESSAGE.format(slug='con')} {SLUG_FIX.format(slug='con')}" in result.out
