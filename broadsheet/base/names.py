"""Names shared across the layers: a site's files and folders, which files are content, and how a rendered page's
reads are named. Here, in the base layer, so that the preview's watcher, the no-change stamp and the stages agree
without importing one another."""

from __future__ import annotations

CONFIG_FILE = "site.yaml"
CONTENT_DIR = "content"
TEMPLATES_DIR = "templates"
STATIC_DIR = "static"
INPUT_FOLDERS = (CONTENT_DIR, TEMPLATES_DIR, STATIC_DIR)  # the folders a build reads, in a site and in a theme
CACHE_DIR = ".broadsheet-cache"  # the cache folder in the site folder, by default
SOURCE_SUFFIXES = (".md", ".markdown", ".html")  # .html: a body written in HTML (see stages.htmlbody)
IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".bak")
FIELD_READ = "field:"  # a page's read "field:title": it showed the title of the articles it lists ("field:*": more)


def is_ignored_name(name: str) -> bool:
    """Editor, system and private files that are never content."""
    return name.startswith((".", "_")) or name.endswith(IGNORED_SUFFIXES) or name == "4913"


SECTION_INDEXES = tuple("_index" + suffix for suffix in SOURCE_SUFFIXES)


def is_section_index(relative: str) -> bool:
    """Whether a site-relative path names a section's _index.md (its title and intro, as in Hugo and Zola):
    content/<section>/_index.md; other names beginning with '_' are never content."""
    return (relative.count("/") == 2 and relative.endswith(SECTION_INDEXES) and relative.startswith(CONTENT_DIR + "/")
            and relative.rsplit("/", 1)[1] in SECTION_INDEXES and not is_ignored_name(relative.split("/")[1]))
