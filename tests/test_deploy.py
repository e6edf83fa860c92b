"""broadsheet deploy: the output folder becomes exactly the tree of a commit on a branch; unsafe builds are refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import write_tree

ARTICLE = "---\ntitle: A\ndate: 2024-03-01\n---\n\nText.\n"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding a small site, with one commit on main."""
    site = write_tree(tmp_path / "repo", {"site.yaml": "title: T\nbase_url: https://example.org/\ncname: news.example.org\n",
                                          "content/world/a.md": ARTICLE, ".gitignore": "public/\n.broadsheet-cache/\n"})
    git(site, "init", "-q", "-b", "main")
    git(site, "config", "user.email", "editor@example.org")
    git(site, "config", "user.name", "Editor")
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "Site")
    return site


def output_files(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def test_deploy_commits_exactly_the_output_files(repo: Path, run_cli) -> None:
    assert run_cli("build", "--site", str(repo), "--quiet").status == 0
    out = repo / "public"
    assert (out / "CNAME").read_text() == "news.example.org\n" and (out / ".nojekyll").is_file()
    result = run_cli("deploy", "--site", str(repo), "--branch", "gh-pages")
    assert result.status == 0, result.err
    assert "to branch gh-pages" in result.out
    tree = set(git(repo, "ls-tree", "-r", "--name-only", "gh-pages").splitlines())
    assert tree == output_files(out)
    for name in ("index.html", "world/a/index.html", "feed.xml", "sitemap.xml", ".nojekyll", "CNAME"):
        assert git(repo, "show", f"gh-pages:{name}") == (out / name).read_text(encoding="utf-8").strip()
    # The working tree, index and current branch are untouched.
    assert git(repo, "status", "--porcelain") == "" and git(repo, "branch", "--show-current") == "main"

    write_tree(repo, {"content/world/b.md": ARTICLE.replace("title: A", "title: B")})
    assert run_cli("build", "--site", str(repo), "--quiet").status == 0
    (out / "world/a/index.html").unlink()  # a file gone from the output is gone from the branch
    assert run_cli("deploy", "--site", str(repo), "--message", "Second").status == 0
    assert set(git(repo, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()) == output_files(out)
    assert git(repo, "log", "--format=%s", "gh-pages").splitlines() == ["Second", git(
        repo, "log", "-1", "--format=%s", "gh-pages~1")]


def test_deploy_pushes_to_a_remote(repo: Path, tmp_path: Path, run_cli) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(repo, "remote", "add", "origin", str(remote))
    assert run_cli("build", "--site", str(repo), "--quiet").status == 0
    result = run_cli("deploy", "--site", str(repo), "--push")
    assert result.status == 0, result.err
    assert git(remote, "rev-parse", "gh-pages") == git(repo, "rev-parse", "gh-pages")


@pytest.mark.parametrize("flags, reason", [(["--drafts"], "--drafts"), (["--future"], "--future"),
                                           (["--now", "2024-05-01T09:00"], "--now 2024-05-01T09:00")])
def test_deploy_refuses_builds_that_are_not_the_real_site(repo: Path, run_cli, flags: list[str], reason: str) -> None:
    assert run_cli("build", "--site", str(repo), "--quiet", *flags).status == 0
    result = run_cli("deploy", "--site", str(repo))
    assert result.status == 1
    assert f"refusing to deploy a build made with {reason}" in result.err
    assert git(repo, "branch", "--list", "gh-pages") == ""


def test_deploy_refuses_a_preview_build_and_a_folder_that_is_no_build(repo: Path, run_cli) -> None:
    from broadsheet.pipeline.build import build
    from broadsheet.stages.config import BuildOptions

    build(BuildOptions(site_dir=repo, output_dir=repo / "preview", preview=True))
    result = run_cli("deploy", "--site", str(repo), "--output", str(repo / "preview"))
    assert result.status == 1 and "refusing to deploy a build made with the preview server" in result.err
    write_tree(repo, {"elsewhere/index.html": "<p>hi</p>"})
    result = run_cli("deploy", "--site", str(repo), "--output", str(repo / "elsewhere"))
    assert result.status == 1 and "no build information" in result.err


def test_build_info_records_how_the_build_was_made_and_stays_deterministic(repo: Path, run_cli) -> None:
    import json

    assert run_cli("build", "--site", str(repo), "--quiet", "--base-url", "https://example.net/x/").status == 0
    info = json.loads((repo / "public/build-info.json").read_text(encoding="utf-8"))
    assert info == {"generator": info["generator"], "base_url": "https://example.net/x/", "drafts": False,
                    "future": False, "now": None, "preview": False, "keep": [],
                    "files": sorted(output_files(repo / "public"))}


def trailer(repo: Path, commit: str) -> str:
    return git(repo, "log", "-1", "--format=%(trailers:key=Broadsheet-Deploy,valueonly)", commit)


@pytest.mark.parametrize("worktree", [False, True], ids=["current", "other-worktree"])
def test_deploy_refuses_a_branch_checked_out_in_a_worktree(repo: Path, tmp_path: Path, run_cli, worktree: bool) -> None:
    assert run_cli("build", "--site", str(repo), "--quiet").status == 0
    branch, where = "main", repo
    if worktree:
        branch, where = "drafts", tmp_path / "drafts-checkout"
        git(repo, "worktree", "add", "-q", "-b", branch, str(where))
    tip, files = git(repo, "rev-parse", branch), sorted(p.name for p in where.iterdir())
    result = run_cli("deploy", "--site", str(repo), "--branch", branch)
    assert result.status == 1 and "Traceback" not in result.err
    assert result.err.splitlines()[0] == (f"{branch}: is checked out in {where}: a deploy would replace its files "
                                          "with the built site (deploy to a branch of its own, such as gh-pages)")
    assert git(repo, "rev-parse", branch) == tip and sorted(p.name for p in where.iterdir()) == files
    assert git(where, "status", "--porcelain") == ""


def test_every_deploy_commit_is_marked_and_a_branch_no_deploy_made_is_adopted_only_when_asked(repo: Path,
                                                                                            run_cli) -> None:
    assert run_cli("build", "--site", str(repo), "--quiet").status == 0
    assert run_cli("deploy", "--site", str(repo), "--branch", "pages").status == 0
    assert trailer(repo, "pages").startswith("broadsheet ")
    # A newsroom's own gh-pages branch, made by hand.
    git(repo, "branch", "gh-pages", "main")
    tip = git(repo, "rev-parse", "gh-pages")
    result = run_cli("deploy", "--site", str(repo))
    assert result.status == 1
    assert result.err.splitlines()[0] == (
        "gh-pages: its last commit was not made by broadsheet deploy (no Broadsheet-Deploy: trailer): a deploy would "
        "replace every file on it (deploy to another branch, or pass --adopt once to take this branch over)")
    assert git(repo, "rev-parse", "gh-pages") == tip
    assert run_cli("deploy", "--site", str(repo), "--adopt", "--message", "Adopted").status == 0
    assert git(repo, "rev-parse", "gh-pages~1") == tip and trailer(repo, "gh-pages")
    assert git(repo, "log", "-1", "--format=%B", "gh-pages").splitlines()[:3] == ["Adopted", "",
                                                                                 f"Broadsheet-Deploy: {trailer(repo, 'gh-pages')}"]
    assert run_cli("deploy", "--site", str(repo)).status == 0  # from now on, without --adopt
    assert git(repo, "rev-parse", "gh-pages~2") == tip


def test_a_remote_branch_no_deploy_made_is_refused_in_a_fresh_clone(repo: Path, tmp_path: Path, run_cli) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    git(repo, "push", "-q", str(remote), "main", "main:gh-pages")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
    result = run_cli("build", "--site", str(clone), "--quiet")
    assert result.status == 0, result.err
    result = run_cli("deploy", "--site", str(clone), "--push")
    assert result.status == 1 and "its last commit was not made by broadsheet deploy" in result.err
    assert git(remote, "rev-parse", "gh-pages") == git(repo, "rev-parse", "main")
    assert run_cli("deploy", "--site", str(clone), "--push", "--adopt").status == 0
    assert git(remote, "rev-parse", "gh-pages~1") == git(repo, "rev-parse", "main")


def test_deploy_commits_the_files_the_build_wrote_and_the_keep_entries_only(repo: Path, run_cli) -> None:
    write_tree(repo, {"site.yaml": "title: T\nbase_url: https://example.org/\nkeep: [.well-known, .git, notes]\n"})
    assert run_cli("build", "--site", str(repo), "--quiet").status == 0
    out = repo / "public"
    built = output_files(out)
    write_tree(out, {".well-known/security.txt": "Contact: x", ".git/HEAD": "ref: refs/heads/gh-pages\n",
                     ".env": "AWS_SECRET_ACCESS_KEY=hunter2\n", "drafts/leak.html": "<p>embargoed</p>"})
    (out / ".well-known/link").symlink_to("security.txt")
    result = run_cli("deploy", "--site", str(repo))
    assert result.status == 0, result.err
    tree = set(git(repo, "ls-tree", "-r", "--name-only", "gh-pages").splitlines())
    assert tree == built | {".well-known/security.txt", ".well-known/link"}
    assert git(repo, "cat-file", "-p", "gh-pages:.well-known/link") == "security.txt"


@pytest.mark.parametrize("listed", [["../secret.txt"], ["/etc/passwd"], ["a/../../secret.txt"], [".git/config"]])
def test_deploy_refuses_a_build_info_file_listing_paths_outside_the_output(repo: Path, run_cli, listed) -> None:
    import json

    assert run_cli("build", "--site", str(repo), "--quiet").status == 0
    info_path = repo / "public/build-info.json"
    info = json.loads(info_path.read_text(encoding="utf-8"))
    info_path.write_text(json.dumps({**info, "files": info["files"] + listed}), encoding="utf-8")
    write_tree(repo, {"secret.txt": "no"})
    result = run_cli("deploy", "--site", str(repo))
    assert result.status == 1 and "which is not a path inside the output folder" in result.err
    assert git(repo, "branch", "--list", "gh-pages") == ""


def test_deploy_refuses_a_build_that_does_not_list_its_files(repo: Path, run_cli) -> None:
    out = write_tree(repo / "public", {"index.html": "<p>old</p>", "build-info.json": (
        '{"generator": "broadsheet 0.1.0", "base_url": "https://example.org/", "drafts": false, "future": false, '
        '"now": null, "preview": false}')})
    result = run_cli("deploy", "--site", str(repo))
    assert result.status == 1
    assert result.err.splitlines()[0].startswith(f"{out / 'build-info.json'}: does not list the files the build wrote")


def test_deploy_refuses_a_built_file_replaced_by_a_link(repo: Path, tmp_path: Path, run_cli) -> None:
    assert run_cli("build", "--site", str(repo), "--quiet").status == 0
    write_tree(tmp_path, {"secret.txt": "the editor's notes"})
    (repo / "public/index.html").unlink()
    (repo / "public/index.html").symlink_to(tmp_path / "secret.txt")
    result = run_cli("deploy", "--site", str(repo))
    assert result.status == 1
    assert result.err.splitlines()[0].startswith(f"{repo / 'public/index.html'}: is reached through a link")
    assert git(repo, "branch", "--list", "gh-pages") == ""


@pytest.mark.parametrize("branch", ["HEAD", "@{-1}", "-x", "a..b"])
def test_deploy_refuses_a_name_that_is_not_a_branch_of_its_own(repo: Path, run_cli, branch: str) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    git(repo, "checkout", "-q", "main")  # (@{-1} is now "other")
    assert run_cli("build", "--site", str(repo), "--quiet").status == 0
    refs = git(repo, "for-each-ref")
    result = run_cli("deploy", "--site", str(repo), f"--branch={branch}")
    assert result.status == 1 and result.err.startswith(f"{branch}: is not a name git takes for a branch")
    assert git(repo, "for-each-ref") == refs
