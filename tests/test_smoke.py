"""The sample site builds, and its seed article has the toggle and the neighbours of the seed page."""

from html.parser import HTMLParser
from pathlib import Path

from conftest import read_tree


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.summaries: list[str] = []
        self.links: dict[str, tuple[str, str]] = {}
        self._in_summary = False
        self._rel: str | None = None
        self._href = ""
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "summary":
            self._in_summary = True
            self.summaries.append("")
        if tag == "a" and attributes.get("rel") in ("prev", "next"):
            self._rel, self._href, self._text = attributes["rel"], attributes.get("href") or "", []

    def handle_endtag(self, tag: str) -> None:
        if tag == "summary":
            self._in_summary = False
        if tag == "a" and self._rel:
            self.links[self._rel] = (self._href, " ".join("".join(self._text).split()))
            self._rel = None

    def handle_data(self, data: str) -> None:
        if self._in_summary:
            self.summaries[-1] += data
        if self._rel:
            self._text.append(data + " ")


def test_sample_site_builds_the_seed_article(sample_site: Path, run_cli) -> None:
    result = run_cli("build", "--site", str(sample_site), "--quiet")
    assert result.status == 0, result.err
    page = sample_site / "public/world/russian-interior-minister-cuba-visit/index.html"
    collector = _Collector()
    collector.feed(page.read_text(encoding="utf-8"))
    assert collector.summaries == ["No time to read? Get a summary"] * 2
    assert collector.links["prev"] == (
        "/sports/dmitry-voronkov-north-american-life/",
        "Previous Article Dmitry Voronkov’s North American Life, KHL Ties, and Olympic Glory",
    )
    assert collector.links["next"] == (
        "/business/new-jersey-pauses-sanctions-law/",
        "Next Article New Jersey Pauses Sanctions Law After Court Ruling on Kyocera Case",
    )
    first = read_tree(sample_site / "public")
    assert run_cli("build", "--site", str(sample_site), "--quiet").status == 0
    assert read_tree(sample_site / "public") == first
