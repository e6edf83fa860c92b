"""Publishing a finished build to a git branch (GitHub Pages); the only module that runs a program (git)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from broadsheet.buildinfo import BUILD_INFO_FILE
from broadsheet.errors import Problem, SiteError


def check_deployable(output_dir: Path) -> dict[str, object]:
    """The output's build info, or a SiteError saying why this build must not be published."""
    path = output_dir / BUILD_INFO_FILE
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SiteError(Problem(str(path), None, "no build information: this folder is not a finished build",
                                "run 'broadsheet build' first")) from None
    reasons = [f"--{key}" for key in ("drafts", "future") if info.get(key)]
    if info.get("now"):
        reasons.append(f"--now {info['now']}")
    if info.get("preview"):
        reasons.append("the preview server")
    if reasons:
        raise SiteError(Problem(str(output_dir), None, f"refusing to deploy a build made with {' and '.join(reasons)}",
                                "run 'broadsheet build' without them, then deploy"))
    return dict(info)


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False)
    except FileNotFoundError:
        raise SiteError(Problem("git", None, "git is not installed", "deploying to a branch needs git")) from None
    if check and done.returncode != 0:
        raise SiteError(Problem(str(cwd), None, f"git {args[0]} failed: {done.stderr.strip() or done.stdout.strip()}"))
    return done.stdout.strip() if done.returncode == 0 else ""


def deploy_to_branch(output_dir: Path, repo: Path, branch: str, message: str = "",
                     remote: str | None = None) -> str:
    """Commit exactly the files of output_dir as the new tip of `branch` (history kept); push if `remote`.

    Uses a temporary index, so the repository's working tree, index and current branch are never touched.
    Returns the new commit's id.
    """
    if not output_dir.is_dir():
        raise SiteError(Problem(str(output_dir), None, "no such folder", "run 'broadsheet build' first"))
    info = check_deployable(output_dir)
    git_dir = _git(repo, "rev-parse", "--absolute-git-dir")
    ref = f"refs/heads/{branch}"
    _git(repo, "check-ref-format", ref)
    env = dict(os.environ)
    if not _git(repo, "config", "user.email", check=False):
        env.update(GIT_AUTHOR_NAME="Broadsheet", GIT_AUTHOR_EMAIL="broadsheet@localhost",
                   GIT_COMMITTER_NAME="Broadsheet", GIT_COMMITTER_EMAIL="broadsheet@localhost")
    with tempfile.TemporaryDirectory() as scratch:
        index_env = {**env, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        out = output_dir.resolve()
        _git(out, f"--git-dir={git_dir}", f"--work-tree={out}", "add", "--all", "--force", "--", ".", env=index_env)
        tree = _git(out, f"--git-dir={git_dir}", "write-tree", env=index_env)
    parent = _git(repo, "rev-parse", "--verify", "--quiet", ref + "^{commit}", check=False)
    if not parent and remote:  # a fresh clone has only the remote's branch: continue its history
        parent = _git(repo, "rev-parse", "--verify", "--quiet", f"refs/remotes/{remote}/{branch}^{{commit}}",
                      check=False)
    text = message or f"Deploy {info.get('base_url', '')} with {info.get('generator', 'broadsheet')}"
    commit = _git(repo, "commit-tree", tree, *(["-p", parent] if parent else []), "-m", text, env=env)
    _git(repo, "update-ref", "-m", "broadsheet deploy", ref, commit)
    if remote:
        _git(repo, "push", remote, f"{ref}:{ref}")
    return commit
