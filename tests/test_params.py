"""`params:` in site.yaml: the site's own values, any YAML, for templates as `site.params`."""

from __future__ import annotations

from pathlib import Path

from conftest import write_tree
from htmlcheck import parse_file

PARAMS = """\
title: Params Daily
base_url: https://example.org/
params:
  analytics_id: G-12345
  social:
    mastodon: "@desk@example.social"
    handles: [one, two]
  show_banner: true
"""
TEMPLATE = """\
{% extends "base.html" %}
{% block main %}
<h1>{{ labels.not_found }}</h1>
<p id="analytics">{{ site.params.analytics_id }}</p>
<p id="mastodon">{{ site.params.social.mastodon }}</p>
<ul>{% for handle in site.params.social.handles %}<li>{{ handle }}</li>{% endfor %}</ul>
{% if site.params.show_banner %}<p id="banner">Banner</p>{% endif %}
{% endblock %}
"""
ARTICLE = "---\ntitle: One\ndate: 2024-05-01T09:00:00Z\nsummary: S.\n---\n\nNews.\n"


def test_templates_read_the_sites_params(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "site", {"site.yaml": PARAMS, "templates/404.html": TEMPLATE,
                                          "content/world/one.md": ARTICLE})
    result = run_cli("build", "--site", str(site), "-q")
    assert result.status == 0, result.err
    page = parse_file(site / "public" / "404.html")
    assert page.find(id="analytics").text() == "G-12345"
    assert page.find(id="mastodon").text() == "@desk@example.social"
    assert [li.text() for li in page.find_all("li")][-2:] == ["one", "two"]
    assert page.find(id="banner") is not None
    # A change of params changes the pages that read them, on the next build.
    (site / "site.yaml").write_text(PARAMS.replace("G-12345", "G-99999"), encoding="utf-8")
    assert run_cli("build", "--site", str(site), "-q").status == 0
    assert parse_file(site / "public" / "404.html").find(id="analytics").text() == "G-99999"


def test_params_absent_is_an_empty_mapping_and_a_non_mapping_is_refused(tmp_path: Path, run_cli) -> None:
    # (Templates are strict: a value a site may leave out is read with a default.)
    absent = TEMPLATE.split("<p id=\"mastodon\">")[0].replace("}}</p>", " | default('none') }}</p>")
    site = write_tree(tmp_path / "site", {"site.yaml": "title: T\n", "content/world/one.md": ARTICLE,
                                          "templates/404.html": absent + "{% endblock %}\n"})
    assert run_cli("build", "--site", str(site), "-q").status == 0
    assert parse_file(site / "public" / "404.html").find(id="analytics").text() == "none"
    (site / "site.yaml").write_text("title: T\nparams: [a, b]\n", encoding="utf-8")
    result = run_cli("build", "--site", str(site), "-q")
    assert result.status == 1
    assert result.err.splitlines()[0] == ("site.yaml:2: 'params' must be a mapping of your own keys and values "
                                          "(write it like params: {analytics_id: G-12345})")
