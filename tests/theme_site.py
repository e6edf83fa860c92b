"""The site the theme checks run on: the sample site plus one article using every element the theme styles."""

from __future__ import annotations

from pathlib import Path

#: One page of each page type in the built site (URL path under the site root). The validator runs over every
#: page; axe and the browser checks run on these. A new page type belongs here.
PAGE_TYPES: dict[str, str] = {
    "article": "world/russian-interior-minister-cuba-visit/",
    "article with every element": "world/every-element/",
    "page": "about/",
    "home": "",
    "home, page 2": "page/2/",
    "section": "world/",
    "section, page 2": "guides/page/2/",
    "tag": "tags/russia/",
    "tags index": "tags/",
    "author": "authors/staff/",
    "author, page 2": "authors/broadsheet-team/page/2/",
    "authors index": "authors/",
    "archive": "archive/",
    "archive year": "archive/2024/",
    "404": "404.html",
    "search": "search/",
    "article with photographs": "world/harbour-photographs/",
}

SEED_ARTICLE = PAGE_TYPES["article"]
RICH_ARTICLE = PAGE_TYPES["article with every element"]

#: The oldest article of the site (so the seed article keeps its neighbours): headings, a quotation, a wide table,
#: a figure with a caption, a video (the shortcode), code, lists, a definition list, footnotes and a long unbreakable
#: address.
RICH_ARTICLE_TEXT = """---
title: "Every element an article can hold, from quotations to footnotes"
date: 2024-01-02T09:00:00+00:00
author: [Ana López, Staff]
section: World
tags: [Style]
sources: [Statistics office, Reuters]
summary: "A test article with *every* element the theme styles, and a [link](/world/) in its summary."
---

The first paragraph has a footnote[^first], a [link to the home page](/), an *emphasised* and a **strong** word,
an abbreviation, the UN, and an address that does not break by itself:
https://example.org/a/very/long/address/that/has/no/spaces/so/the/browser/must/break/it/somewhere/to/fit/a/phone.

*[UN]: United Nations

## A section heading

> A block quotation, the way a news article quotes somebody at length. It runs on long enough to wrap over
> several lines, so its measure and its rule on the left can be seen.
>
> — A spokesperson for the ministry

### A smaller heading

| Year | Exports (m) | Imports (m) | Balance (m) | Growth | Share of GDP | Main partner | Notes |
|------|------------:|------------:|------------:|-------:|-------------:|--------------|-------|
| 2021 | 1,234,567 | 1,100,200 | 134,367 | 3.1% | 24.5% | European Union | Revised in the spring |
| 2022 | 1,302,118 | 1,250,900 | 51,218 | 5.5% | 25.0% | European Union | Provisional figures |
| 2023 | 1,298,004 | 1,311,876 | −13,872 | −0.3% | 24.1% | United States | First estimate |

<figure>
<img src="/chart.svg" alt="A bar chart: exports rose in 2022 and fell a little in 2023" width="640" height="320">
<figcaption>Exports by year, in millions. Source: the statistics office.</figcaption>
</figure>

{{< youtube id="w7Ft2ymGmfc" title="The minister's press conference" poster="/chart.svg" >}}

```python
def a_long_line_of_code(): return "a line of code that scrolls inside its own box rather than the whole page" * 3
```

Term
:   The definition of the term, in a definition list.

- A bulleted list
- with `inline code` and a second item

1. A numbered list
2. with two items

---

The last paragraph, with a second footnote.[^second]

[^first]: The first footnote, with a [link to the notes](https://example.org/notes).
[^second]: The second footnote.
"""

CHART_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 320" width="640" height="320">
<rect width="640" height="320" fill="#f1eee6"/>
<rect x="80" y="120" width="120" height="180" fill="#8a1c1c"/>
<rect x="260" y="80" width="120" height="220" fill="#8a1c1c"/>
<rect x="440" y="90" width="120" height="210" fill="#8a1c1c"/>
</svg>
"""


#: An article with a lead photograph (caption, credit) and photographs in its body: in Markdown, and in a raw HTML
#: figure with a caption (as the figure shortcode writes it).
PHOTO_ARTICLE_TEXT = """---
title: Harbour reopens after the storm, in photographs
date: 2024-01-01T09:00:00+00:00
section: World
tags: [Style]
image: images/harbour-lead.jpg
image_alt: The harbour at dawn, the first ferry leaving
image_caption: The first ferry leaves the repaired quay.
image_credit: "Photo: A. Photographer"
image_focus: "0.5,0.4"
---

The harbour reopened on Monday morning after three weeks of repairs to the northern quay.

![Cranes over the quay](/images/harbour-cranes.png)

<figure>
<img src="/images/harbour-night.webp" alt="The quay lit at night">
<figcaption>The quay at night, before the reopening.</figcaption>
</figure>
"""


def write_theme_site(site: Path) -> Path:
    """Add the rich article and its chart, and an article with photographs, to a copy of the sample site, with
    search on; return the site folder."""
    from imagefiles import camera_exif, photo

    (site / "content/world/every-element.md").write_text(RICH_ARTICLE_TEXT, encoding="utf-8")
    (site / "static/chart.svg").write_text(CHART_SVG, encoding="utf-8")
    (site / "content/world/harbour-photographs.md").write_text(PHOTO_ARTICLE_TEXT, encoding="utf-8")
    (site / "static/images").mkdir(exist_ok=True)
    (site / "static/images/harbour-lead.jpg").write_bytes(photo(1800, 1200, exif=camera_exif()))
    (site / "static/images/harbour-cranes.png").write_bytes(photo(700, 420, "PNG"))
    (site / "static/images/harbour-night.webp").write_bytes(photo(1000, 600, "WEBP"))
    with (site / "site.yaml").open("a", encoding="utf-8") as config:
        config.write("search: true\n")
    return site
