"""Where a build reads and writes, checked before anything is written: the site folder, the output folder and the
cache folder, none inside another where it must not be.

Light to import: `broadsheet build` with nothing to do checks these too.
"""

from __future__ import annotations

from pathlib import Path

from broadsheet.base.errors import Problem, SiteError
from broadsheet.base.names import CACHE_DIR, CONFIG_FILE, CONTENT_DIR, INPUT_FOLDERS
from broadsheet.base.options import BuildOptions


def cache_folder(options: BuildOptions) -> Path | None:
    """The persistent cache folder of a build with these options, absolute; None with --no-cache."""
    if options.no_cache:
        return None
    return (options.cache_dir or options.site_dir / CACHE_DIR).absolute()


def check_places(options: BuildOptions) -> None:
    """Refuse a build whose site, output or cache folder is not where it can be (see the checks below)."""
    check_site_folder(options.site_dir)
    check_output_location(options.site_dir, options.output_dir)
    check_cache_location(options)


def check_site_folder(site_dir: Path) -> None:
    """Refuse to build a folder that is not a site (a mistyped --site), rather than publish an empty one."""
    if not (site_dir / CONFIG_FILE).is_file() and not (site_dir / CONTENT_DIR).is_dir():
        what = "does not exist" if not site_dir.exists() else (f"is not a site: it has no {CONFIG_FILE} and no "
                                                               f"{CONTENT_DIR}/")
        raise SiteError(Problem(str(site_dir), None, what, "pass --site DIR, or create a site with 'broadsheet init DIR'"))


def check_output_location(site_dir: Path, output_dir: Path) -> None:
    """Refuse an output folder that would swallow the site's own sources."""
    output = output_dir.resolve()
    site = site_dir.resolve()
    sources = [site / name for name in INPUT_FOLDERS]
    if site.is_relative_to(output) or any(output.is_relative_to(folder) for folder in sources):
        raise SiteError(Problem(str(output_dir), None, "the output folder cannot hold or be the site's own sources",
                                "choose a folder such as public/"))


def check_cache_location(options: BuildOptions) -> None:
    """Refuse a cache folder inside the output folder, or in its place beside it while it is built (the cache would
    be published, draft summaries and scheduled articles' bodies with it), and an output folder inside the cache
    folder (a build would replace the cache, or the cache's pruning the site)."""
    cache = cache_folder(options)
    if cache is None:
        return
    output, cache = options.output_dir.resolve(), cache.resolve()
    named = str(options.cache_dir or cache)
    if cache == output:
        raise SiteError(Problem(named, None, "the cache folder cannot be the output folder: it would be published",
                                "keep it outside, such as --cache-dir .broadsheet-cache"))
    if cache.is_relative_to(output) or (cache.parent == output.parent
                                        and cache.name.startswith(f".{output.name}.broadsheet-")):
        raise SiteError(Problem(named, None, f"the cache folder cannot be inside the output folder "
                                f"{options.output_dir}: it would be published",
                                "keep it outside, such as --cache-dir .broadsheet-cache"))
    if output.is_relative_to(cache):
        raise SiteError(Problem(str(options.output_dir), None, f"the output folder cannot be inside the cache "
                                f"folder {named}", "choose a folder such as public/"))
