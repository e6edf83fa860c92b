"""Publishing a finished build to a git branch (GitHub Pages); the only module that runs a program (git).

A deploy commits exactly the files the build wrote (its build-info file lists them) and the site's `keep:` entries,
as a new commit on a branch that only deploys write: one marked with a `Broadsheet-Deploy:` trailer at its tip.
It never touches a branch checked out in a worktree, nor (unless adopted once) a branch something else made.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from broadsheet.base.errors import Problem, SiteError
from broadsheet.pipeline.lock import output_lock
from broadsheet.stages.buildinfo import BUILD_INFO_FILE

TRAILER = "Broadsheet-Deploy"


def check_deployable(output_dir: Path) -> dict[str, Any]:
    """The output's build info, or a SiteError saying why this build must not be published (or cannot be: it does
    not list its files)."""
    path = output_dir / BUILD_INFO_FILE
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = None
    if not isinstance(info, dict):
        raise SiteError(Problem(str(path), None, "no build information: this folder is not a finished build",
                                "run 'broadsheet build' first"))
    reasons = [f"--{key}" for key in ("drafts", "future") if info.get(key)]
    if info.get("now"):
        reasons.append(f"--now {info['now']}")
    if info.get("preview"):
        reasons.append("the preview server")
    if reasons:
        raise SiteError(Problem(str(output_dir), None, f"refusing to deploy a build made with {' and '.join(reasons)}",
                                "run 'broadsheet build' without them, then deploy"))
    if not isinstance(info.get("files"), list) or not isinstance(info.get("keep", []), list):
        raise SiteError(Problem(str(path), None, "does not list the files the build wrote (a build by an older "
                                "version of Broadsheet)", "run 'broadsheet build' again, then deploy"))
    return dict(info)


def files_to_commit(output_dir: Path, written: list[object], keep: list[object]) -> list[str]:
    """The files of output_dir to commit, sorted: those the build wrote (`written`, from its build-info file) that
    are still there, and every file under its `keep:` entries (but .git); never a path outside output_dir, nor one
    reached through a link."""
    found: set[str] = set()
    for path, kept in [*((path, False) for path in written), *((path, True) for path in keep)]:
        if kept and path == ".git":
            continue  # (a deploy checkout kept in the output: git never commits it)
        if not isinstance(path, str) or not _plain_relative(path):
            raise SiteError(Problem(str(output_dir / BUILD_INFO_FILE), None, f"lists {path!r}, which is not a path "
                                    "inside the output folder", "run 'broadsheet build' again, then deploy"))
        found.update(_files_at(output_dir, path, kept))
    return sorted(found)


def _plain_relative(path: str) -> bool:
    """Whether `path` names an entry inside a folder: relative, without '.', '..' or empty parts, nor .git."""
    return (path != "" and "\0" not in path and "\\" not in path
            and all(part not in ("", ".", "..", ".git") for part in path.split("/")))


def _files_at(root: Path, path: str, kept: bool) -> list[str]:
    """`path` if it is a file below root, not reached through a link; nothing if it is gone. With `kept` (a keep:
    entry), also a link, or the files and links under a folder (but .git), and nothing past a link on the way."""
    parts = path.split("/")
    if any((root / "/".join(parts[:end])).is_symlink() for end in range(1, len(parts) + (not kept))):
        if kept:
            return []
        raise SiteError(Problem(str(root / path), None, "is reached through a link, but the build wrote a file there",
                                "run 'broadsheet build' again, then deploy"))
    try:
        mode = os.lstat(root / path).st_mode
    except OSError:
        return []
    if stat.S_ISREG(mode) or (kept and stat.S_ISLNK(mode)):
        return [path]
    found = []
    if kept and stat.S_ISDIR(mode):
        for folder, names, files in os.walk(root / path):  # (links to folders are listed in names, not followed)
            relative = Path(folder).relative_to(root).as_posix()
            found += [f"{relative}/{name}" for name in files]
            found += [f"{relative}/{name}" for name in names if Path(folder, name).is_symlink()]
            names[:] = [name for name in names if name != ".git"]
    return found


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True, stdin: str | None = None,
         ) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False,
                              input=stdin)
    except FileNotFoundError:
        raise SiteError(Problem("git", None, "git is not installed", "deploying to a branch needs git")) from None
    if check and done.returncode != 0:
        raise SiteError(Problem(str(cwd), None, f"git {args[0]} failed: {done.stderr.strip() or done.stdout.strip()}"))
    return done.stdout.strip() if done.returncode == 0 else ""


def checked_out_in(repo: Path, ref: str) -> str | None:
    """The worktree that has `ref` checked out, if one has (git worktree list)."""
    worktree = None
    for line in _git(repo, "worktree", "list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            worktree = line[len("worktree "):]
        elif line == f"branch {ref}":
            return worktree or str(repo)
    return None


def is_deploy(repo: Path, commit: str) -> bool:
    """Whether `commit` was made by `broadsheet deploy`: its message ends with a Broadsheet-Deploy: trailer."""
    found = _git(repo, "log", "-1", f"--format=%(trailers:key={TRAILER},valueonly)", commit, check=False)
    return bool(found.strip())


def deploy_to_branch(output_dir: Path, repo: Path, branch: str, message: str = "",
                     remote: str | None = None, adopt: bool = False) -> str:
    """Commit the files output_dir's build wrote (and its keep: entries) as the new tip of `branch`, history kept;
    push if `remote`. Refuses a branch checked out in a worktree, and one whose tip no deploy made unless `adopt`.

    Uses a temporary index, so the repository's working tree, index and current branch are never touched.
    Returns the new commit's id.
    """
    if not output_dir.is_dir():
        raise SiteError(Problem(str(output_dir), None, "no such folder", "run 'broadsheet build' first"))
    ref = _branch_ref(repo, branch)
    env = dict(os.environ)
    if not _git(repo, "config", "user.email", check=False):
        env.update(GIT_AUTHOR_NAME="Broadsheet", GIT_AUTHOR_EMAIL="broadsheet@localhost",
                   GIT_COMMITTER_NAME="Broadsheet", GIT_COMMITTER_EMAIL="broadsheet@localhost")
    # One deploy of this output at a time, and no build swapping it while its files are read.
    with output_lock(output_dir, "deploy"):
        info = check_deployable(output_dir)
        local, parent = _tip(repo, ref, remote, adopt)
        tree = _tree(repo, output_dir, files_to_commit(output_dir, info["files"], info.get("keep", [])), env)
        text = (message or f"Deploy {info.get('base_url', '')}").rstrip()
        text += f"\n\n{TRAILER}: {info.get('generator', 'broadsheet')}\n"
        commit = _git(repo, "commit-tree", tree, *(["-p", parent] if parent else []), env=env, stdin=text)
        # Only from the tip checked: a deploy that moved it meanwhile (from another output) is not overwritten.
        _git(repo, "update-ref", "-m", "broadsheet deploy", ref, commit, local)
    if remote:
        _git(repo, "push", remote, f"{ref}:{ref}")
    return commit


def _branch_ref(repo: Path, branch: str) -> str:
    """refs/heads/<branch>, for a name git takes as a branch's own (not HEAD, nor @{-1}, which git expands)."""
    if _git(repo, "check-ref-format", "--branch", branch, check=False) != branch:
        raise SiteError(Problem(branch, None, "is not a name git takes for a branch", "name one such as gh-pages"))
    return f"refs/heads/{branch}"


def _tip(repo: Path, ref: str, remote: str | None, adopt: bool) -> tuple[str, str]:
    """The branch's commit here ("" if none), and the one to continue (else the remote's, in a fresh clone), once
    the branch is known to be one a deploy may move: not checked out, and made by deploys unless `adopt`."""
    branch = ref.removeprefix("refs/heads/")
    worktree = checked_out_in(repo, ref)
    if worktree is not None:
        raise SiteError(Problem(branch, None, f"is checked out in {worktree}: a deploy would replace its files with "
                                "the built site", "deploy to a branch of its own, such as gh-pages"))
    local = _git(repo, "rev-parse", "--verify", "--quiet", ref + "^{commit}", check=False)
    parent = local
    if not parent and remote:  # a fresh clone has only the remote's branch: continue its history
        parent = _git(repo, "rev-parse", "--verify", "--quiet", f"refs/remotes/{remote}/{branch}^{{commit}}",
                      check=False)
    if parent and not adopt and not is_deploy(repo, parent):
        raise SiteError(Problem(branch, None, f"its last commit was not made by broadsheet deploy (no {TRAILER}: "
                                "trailer): a deploy would replace every file on it",
                                "deploy to another branch, or pass --adopt once to take this branch over"))
    return local, parent


def _tree(repo: Path, output_dir: Path, files: list[str], env: dict[str, str]) -> str:
    """The id of a git tree of these files of output_dir, made with an index of its own."""
    git_dir = _git(repo, "rev-parse", "--absolute-git-dir")
    out = output_dir.resolve()
    with tempfile.TemporaryDirectory() as scratch:
        index_env = {**env, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        _git(out, f"--git-dir={git_dir}", f"--work-tree={out}", "update-index", "--add", "-z", "--stdin",
             env=index_env, stdin="".join(f"{path}\0" for path in files))
        return _git(out, f"--git-dir={git_dir}", "write-tree", env=index_env)
