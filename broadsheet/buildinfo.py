"""The build-info file: how a build was made, so `deploy` can refuse builds that must not be published."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from broadsheet import __version__
from broadsheet.config import Config
from broadsheet.options import BuildOptions

BUILD_INFO_FILE = "build-info.json"


def build_info(options: BuildOptions, config: Config, files: Sequence[str] | None = None) -> bytes:
    """How a build was made, written into its output; no clock time, so builds stay byte-identical. With `files`
    (sorted), the files it writes, for `deploy` to commit those and the `keep:` entries, nothing else."""
    info: dict[str, object] = {
        "generator": f"broadsheet {__version__}",
        "base_url": config.base_url,
        "drafts": options.drafts,
        "future": options.future,
        "now": str(options.now) if options.now else None,
        "preview": options.preview,
    }
    if files is None:
        return (json.dumps(info, indent=2) + "\n").encode("utf-8")
    # (Search: Pagefind's index, whose files are named by Pagefind, is committed whole as a kept folder is.)
    info["keep"] = [*config.keep, "pagefind"] if config.search else list(config.keep)
    # The list on one line: json's indented output is made in Python, 50 ms for a site of 10,000 articles.
    head = json.dumps(info, indent=2)[:-2]  # (without its closing "\n}")
    return f'{head},\n  "files": {json.dumps(list(files))}\n}}\n'.encode()


def is_build(folder: Path) -> bool:
    """Whether a folder is a build of Broadsheet's, as its build-info file says (any version's)."""
    try:
        info = json.loads((folder / BUILD_INFO_FILE).read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and str(info.get("generator", "")).startswith("broadsheet ")
