"""The commands as Hugo and Jekyll users type them: short flags, "did you mean", one rule for folders that are no
site, --quiet and --verbose everywhere, failure lines that fit the command, archetypes, and deploy's warning about
the example base_url."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import write_tree
from htmlcheck import parse_file

from broadsheet.cli import MAKES_A_SITE, make_parser

SITE = {"site.yaml": "title: Flags Daily\nbase_url: https://news.example.com/\n",
        "content/world/out.md": "---\ntitle: Out now\ndate: 2024-05-01T09:00:00Z\nsummary: S.\n---\n\nNews.\n",
        "content/world/draft.md": "---\ntitle: A draft\ndate: 2024-05-01T09:00:00Z\ndraft: true\n---\n\nX.\n",
        "content/world/later.md": "---\ntitle: Later on\ndate: 2030-01-01T09:00:00Z\nsummary: S.\n---\n\nX.\n"}


def test_short_flags_build_drafts_future_output_and_base_url(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "site", SITE)
    for output_flag in ("-o", "-d"):
        out = tmp_path / f"out{output_flag}"
        result = run_cli("build", "-s", str(site), "-D", "-F", output_flag, str(out), "-b",
                         "https://mirror.example.net/news/", "-q", "-j", "1")
        assert (result.status, result.out) == (0, ""), result.err
        for slug in ("out", "draft", "later"):
            assert (out / "world" / slug / "index.html").is_file()
        home = parse_file(out / "index.html")
        assert home.find("link", rel="stylesheet").attrs["href"].startswith("/news/")
    long = run_cli("build", "--source", str(site), "--buildDrafts", "--destination", str(tmp_path / "long"), "-q")
    assert long.status == 0 and (tmp_path / "long/world/draft/index.html").is_file()


def test_serve_and_deploy_take_the_short_flags_too() -> None:
    parser = make_parser()
    serve = parser.parse_args(["serve", "-s", "paper", "-p", "1313", "-D", "-F", "-v"])
    assert (str(serve.site), serve.port, serve.drafts, serve.future, serve.verbose) == ("paper", 1313, True, True,
                                                                                      True)
    deploy = parser.parse_args(["deploy", "-d", "built", "-q"])
    assert (str(deploy.output), deploy.quiet) == ("built", True)
    for command in ("build", "check", "serve", "new", "deploy", "init"):
        args = ["x"] if command in ("new", "init") else []
        assert {"quiet", "verbose"} <= set(vars(parser.parse_args([command, *args, "-q"])))


@pytest.mark.parametrize(("argv", "expected"), [
    (["biuld"], "unknown command 'biuld'; did you mean 'build'?"),
    (["serv"], "unknown command 'serv'; did you mean 'serve'?"),
    (["build", "--drafs"], "unknown option '--drafs'; did you mean '--drafts'?"),
    (["build", "--base-ulr=https://x.org/"], "unknown option '--base-ulr=https://x.org/'; did you mean '--base-url'?"),
    (["serve", "--prot", "80"], "unknown option '--prot'; did you mean '--port'?"),
    (["build", "-Z"], "unknown option '-Z'"),
    (["--quiet", "build"], "'--quiet' goes after the command: broadsheet build --quiet"),
])
def test_did_you_mean(argv: list[str], expected: str, run_cli) -> None:
    result = run_cli(*argv)
    assert result.status == 2
    assert result.err.splitlines()[-1].endswith(expected), result.err
    assert result.err.startswith("usage: broadsheet")


def test_every_command_but_init_refuses_a_folder_that_is_no_site(tmp_path: Path, run_cli) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    parser = make_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices  # type: ignore[attr-defined]
    checked = 0
    for command in commands:
        if command in MAKES_A_SITE:
            continue
        args = ["A headline"] if command == "new" else []
        result = run_cli(command, *args, "--site", str(empty))
        assert result.status == 1, (command, result.out, result.err)
        assert result.err.splitlines()[0] == (f"{empty}: is not a site: it has no site.yaml and no content/ (pass "
                                              "--site DIR, or create a site with 'broadsheet init DIR')"), command
        checked += 1
    assert checked == 5
    assert list(empty.iterdir()) == []
    assert run_cli("init", str(empty / "paper"), "-q").status == 0


def test_failure_lines_fit_the_command(tmp_path: Path, run_cli) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    expected = {"build": "nothing was changed in the output", "new": "no article was written",
                "deploy": "nothing was deployed", "check": "the site was not checked"}
    for command, outcome in expected.items():
        args = ["A headline"] if command == "new" else []
        result = run_cli(command, *args, "--site", str(empty))
        assert result.err.splitlines()[-1] == f"Failed: 1 problem; {outcome}.", command


def test_new_fills_in_the_sections_archetype_or_the_default(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "site", {
        "site.yaml": "title: Archetypes\nsection: World\nauthor: Desk\n",
        "templates/archetypes/sports.md": ("---\ntitle: {{ title | tojson }}\ndate: {{ date }}\nsection: "
                                           "{{ section | tojson }}\ntags: [Results]\nsummary: ''\n---\n\n"
                                           "Score: …\n\nScorers: …\n"),
        "templates/archetypes/default.md": ("---\ntitle: {{ title | tojson }}\ndate: {{ date }}\nauthor: "
                                            "{{ author }}\ndraft: true\n---\n\nLead paragraph for {{ slug }}.\n"),
    })
    sport = run_cli("new", "Derby: 2–1 \"at last\"", "--section", "Sports", "--site", str(site), "-v")
    assert sport.status == 0, sport.err
    assert sport.err == "Filled in templates/archetypes/sports.md\n"
    text = Path(sport.out.strip()).read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["title"] == "Derby: 2–1 \"at last\"" and front["section"] == "Sports" and front["tags"] == ["Results"]
    assert text.endswith("Score: …\n\nScorers: …\n")
    other = run_cli("new", "Rain expected", "--site", str(site))
    text = (site / "content/world/rain-expected.md").read_text(encoding="utf-8")
    assert other.status == 0 and text.endswith("Lead paragraph for rain-expected.\n")
    assert yaml.safe_load(text.split("---\n")[1])["draft"] is True
    # Both build.
    assert run_cli("build", "--site", str(site), "-D", "-q").status == 0


def test_an_archetype_with_a_mistake_is_named(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "site", {"site.yaml": "title: T\n",
                                          "templates/archetypes/default.md": "---\ntitle: {{ headline }}\n---\n"})
    result = run_cli("new", "Anything", "--site", str(site))
    assert result.status == 1 and "Traceback" not in result.err
    assert result.err.startswith("templates/archetypes/default.md: 'headline' is undefined (an archetype may use ")
    assert result.err.splitlines()[-1] == "Failed: 1 problem; no article was written."
    assert not (site / "content").exists()


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_deploy_warns_while_base_url_is_the_example(tmp_path: Path, run_cli) -> None:
    site = tmp_path / "paper"
    assert run_cli("init", str(site), "-q").status == 0
    _git(site, "init", "-q", "-b", "main")
    _git(site, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "--allow-empty", "-m", "start")
    assert run_cli("build", "--site", str(site), "-q").status == 0
    result = run_cli("deploy", "--site", str(site))
    assert result.status == 0, result.err
    assert result.out.startswith(f"Deployed {site / 'public'} to branch gh-pages (")
    assert result.err == ("site.yaml:4: warning: base_url is still the example https://example.org/: feeds, sitemaps "
                          "and shared links point there (set it to the address the site is published at, then "
                          "build again)\n")
    config = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(config.replace("https://example.org/", "https://paper.example.com/"))
    assert run_cli("build", "--site", str(site), "-q").status == 0
    quiet = run_cli("deploy", "--site", str(site), "-q")
    assert (quiet.status, quiet.out, quiet.err) == (0, "", "")


def test_init_and_new_say_what_they_did_and_keep_quiet_with_q(tmp_path: Path, run_cli) -> None:
    loud = run_cli("init", str(tmp_path / "a"), "--verbose")
    assert loud.status == 0
    assert f"  {tmp_path / 'a' / 'netlify.toml'}" in loud.out.splitlines()
    site = tmp_path / "a"
    assert loud.out.splitlines()[-1] == f"Created a new site in {site}. Preview it with: cd {site} && broadsheet serve"
    quiet = run_cli("new", "Quiet one", "--site", str(tmp_path / "a"), "-q")
    assert (quiet.status, quiet.out, quiet.err) == (0, "", "")
    assert (tmp_path / "a/content/news/quiet-one.md").is_file()


def test_serve_verbose_lists_requests_and_quiet_prints_no_rebuild_lines(tmp_path: Path) -> None:
    import os
    import re
    import sys
    import urllib.request

    from conftest import REPO_ROOT

    site = write_tree(tmp_path / "site", SITE)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for flag in ("-v", "-q"):
        process = subprocess.Popen([sys.executable, "-m", "broadsheet", "serve", "-s", str(site), "-p", "0", flag],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            while line and not line.startswith("Serving"):
                assert flag == "-v", line  # (quiet: the address only)
                line = process.stdout.readline()
            url = re.match(r"Serving the preview at (\S+) ", line)
            assert url, line
            with urllib.request.urlopen(url.group(1) + "world/out/", timeout=30) as response:
                assert response.status == 200
        finally:
            process.terminate()
            out, err = process.communicate(timeout=30)
        if flag == "-v":
            assert re.search(r"GET /world/out/ HTTP/1\.1\" 200", err), err
        else:
            assert out == "" and "GET" not in err
