"""The options of one build: what the command line says, not what the site says (that is broadsheet.stages.config).

Kept apart, and light to import, because `broadsheet build` with nothing to do needs these and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """How one build is run: what the command line says, not what the site says."""

    site_dir: Path
    output_dir: Path
    drafts: bool = False
    future: bool = False
    now: str | None = None  # --now as written; build.resolve_now reads it once, in the site's time zone
    base_url: str | None = None
    quiet: bool = False
    # A preview build (broadsheet serve): never deployed; templates show Draft/Scheduled banners.
    preview: bool = False
    # The preview server's scheme://host:port, put in place of base_url's while keeping its path.
    origin: str | None = None
    # Links to missing or unpublished articles fail the build instead of warning.
    strict: bool = False
    # Worker processes for per-article work (None: one per processor).
    jobs: int | None = None
    # The persistent build cache (None: .broadsheet-cache in the site folder); no_cache: keep none.
    cache_dir: Path | None = None
    no_cache: bool = False
