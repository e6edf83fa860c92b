"""`broadsheet import jekyll|hugo|wordpress SOURCE DEST`: a new Broadsheet site from another generator's.

One module per source reads it into `Entry` values (newsite.py); `newsite.write_site` turns them into the new site's
files, its old URLs into aliases and host rules, and its report; the new site is then checked as a build would.
"""

from __future__ import annotations

from pathlib import Path

from broadsheet.errors import Problem, SiteError

SOURCES = ("jekyll", "hugo", "wordpress")


def import_site(kind: str, source: Path, dest: Path, uploads: Path | None = None) -> int:
    """Import SOURCE into the new site folder DEST, print the report; 0 when the new site builds without errors."""
    from broadsheet.importers.newsite import check_new_site, prepare_dest, write_site

    if not source.exists():
        raise SiteError(Problem(str(source), None, "does not exist", f"give the {kind} site's folder or export file"))
    prepare_dest(source, dest)
    if uploads is not None and (kind != "wordpress" or not uploads.is_dir()):
        raise SiteError(Problem(str(uploads), None, "--uploads takes a folder (a copy of a WordPress site's "
                                "wp-content/uploads)", "leave it out for Jekyll and Hugo sites"))
    if kind == "jekyll":
        from broadsheet.importers.jekyll import read_jekyll

        old = read_jekyll(source)
    elif kind == "hugo":
        from broadsheet.importers.hugo import read_hugo

        old = read_hugo(source)
    else:
        from broadsheet.importers.wordpress import read_wordpress

        old = read_wordpress(source, uploads)
    report = write_site(old, dest)
    errors = check_new_site(dest, report)
    print(report.text())
    return 1 if errors else 0
