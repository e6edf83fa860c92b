"""Where the default theme lives, and the static files a site publishes."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from broadsheet.errors import Problem, SiteError
from broadsheet.model import Article

if TYPE_CHECKING:
    from broadsheet.images import ImageInfo

TEMPLATES_DIR = "templates"
STATIC_DIR = "static"
FINGERPRINTED = (".css", ".js")


def default_theme_dir() -> Path:
    """The folder holding the default theme's templates/ and static/.

    An installed wheel carries them in broadsheet/theme/; a source checkout has them at the repo's top level.
    """
    packaged = Path(__file__).resolve().parent / "theme"
    if (packaged / TEMPLATES_DIR).is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class StaticFile:
    """A file copied from a static/ folder into the output, at its own path and, for CSS and JS, under a
    fingerprinted name beside it."""

    source: Path
    own_path: str  # its path under static/, where it is always published (an article body may link it)
    output_path: str  # what templates link through asset(): for CSS and JS fingerprinted, style.3f2a9c1e04.css
    label: str = ""  # where it is, in problems: static/<own_path> when empty (see bundle_static for the others)
    image: ImageInfo | None = None  # a raster image as the image stage processed it (see images.publish_images)

    @property
    def output_paths(self) -> tuple[str, ...]:
        """Every path the file is published at: its own, then its fingerprinted name when it has one."""
        return (self.own_path,) if self.own_path == self.output_path else (self.own_path, self.output_path)


def published_static(static: Mapping[str, StaticFile]) -> Iterator[tuple[str, StaticFile, str]]:
    """(output path, the static file, its label in problems) for every file the static files publish."""
    for relative, static_file in static.items():
        for output_path in static_file.output_paths:
            yield output_path, static_file, static_file.label or f"{STATIC_DIR}/{relative}"


def _walk_static(root: Path, label: str = STATIC_DIR) -> dict[str, Path]:
    from broadsheet.content import is_ignored_name  # here: `build` with nothing to do imports no Markdown

    found: dict[str, Path] = {}
    real_root = root.resolve()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not is_ignored_name(d))
        for name in files:
            if is_ignored_name(name):
                continue
            path = Path(folder, name)
            relative = path.relative_to(root).as_posix()
            if path.is_symlink() and not path.resolve().is_relative_to(real_root):
                raise SiteError(Problem(f"{label}/{relative}", None, f"is a link to a file outside {label}/",
                                        "copy the file in instead"))
            if path.is_file():
                found[relative] = path
    return found


def collect_static(site_dir: Path) -> dict[str, StaticFile]:
    """The site's static files over the default theme's, keyed by their path under static/."""
    files = _walk_static(default_theme_dir() / STATIC_DIR)
    files.update(_walk_static(site_dir / STATIC_DIR))
    result = {}
    for relative, source in sorted(files.items()):
        output_path = relative
        if relative.endswith(FINGERPRINTED):
            digest = hashlib.sha256(source.read_bytes()).hexdigest()[:10]
            stem, dot, suffix = relative.rpartition(".")
            output_path = f"{stem}.{digest}{dot}{suffix}"
        result[relative] = StaticFile(source, relative, output_path)
    return result


def bundle_static(site_dir: Path, pages: Iterable[Article]) -> dict[str, StaticFile]:
    """The files of the page bundles among `pages` (content/news/slug/photo.jpg beside content/news/slug/index.md),
    each published in its page's folder (news/slug/photo.jpg), keyed by that output path: a bundle's page links them
    by their relative path. Hidden and private names are left out, as in static/."""
    from broadsheet.content import BUNDLE_INDEXES, bundle_folder

    result: dict[str, StaticFile] = {}
    for page in pages:
        folder = bundle_folder(page.source)
        if folder is None:
            continue
        out_folder = page.output_path.rpartition("/")[0]
        for relative, source in _walk_static(site_dir / folder, folder.rstrip("/")).items():
            if "/" + relative in BUNDLE_INDEXES:
                continue  # the page itself (or the bundle's other page: two pages of one URL are reported as such)
            output_path = f"{out_folder}/{relative}" if out_folder else relative
            result[output_path] = StaticFile(source, output_path, output_path, folder + relative)
    return dict(sorted(result.items()))
