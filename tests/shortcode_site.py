"""A site whose article uses every built-in shortcode (for the shortcode tests, the Nu checker and axe)."""

from __future__ import annotations

from pathlib import Path

from conftest import write_tree

ARTICLE = "content/world/every-shortcode.md"
PAGE = "world/every-shortcode/index.html"

EVERY_SHORTCODE = """---
title: Every shortcode a news article can use
date: 2024-05-01T09:00:00+00:00
author: Ana López
section: World
---

The harbour works were opened on Friday, {{< related "harbour.md" >}} after four years of delays.

{{< toc >}}

## Pictures

{{< figure src="/images/quay.svg" alt="The new quay at dawn" caption="The new quay, *seen from the water*" credit="Port authority" link="/images/quay.svg" width="640" height="320" >}}

{{< figure src="/images/quay.svg" alt="The quay again" title="Hugo's title" attr="Photographer" attrlink="https://example.org/photographer" >}}

## Video

{{< youtube id="w7Ft2ymGmfc" title="The opening ceremony" poster="/images/quay.svg" >}}

{{< vimeo 55073825 >}}

## Posts

{{< x user="harbourcity" id="1453110110599868418" >}}The quay is open. Come and see it.{{< /x >}}

{{< tweet 1453110110599868419 >}}

{{< mastodon url="https://mastodon.social/@harbour/111" author="@harbour@mastodon.social" >}}Ships are back.{{< /mastodon >}}

{{% instagram id="C8abc" author="harbourcity" %}}A **sunny** day at the quay.{{% /instagram %}}

{{< gist harbourcity 4a5b6c timetable.csv >}}

{{< iframe src="https://maps.example.org/embed?harbour" title="Map of the harbour works" >}}

{{< embed "https://charts.example.org/ships" "Ships in the harbour, by month" >}}

## Notes

{{< pullquote cite="The harbour master" >}}We waited four years for this morning.{{< /pullquote >}}

{{% callout title="How we reported this" %}}Our reporter was *at the quay* from dawn.{{% /callout %}}

{{< aside type="update" >}}The ferry timetable changes on Monday.{{< /aside >}}

{{< correction date="2024-05-03" >}}An earlier version gave the wrong length for the quay.{{< /correction >}}

Shown as written: `{{< youtube abc >}}` and {{</* figure src="x.jpg" */>}}.

```
{{< gh 2090 >}}
```
"""

HARBOUR = """---
title: Four years of harbour works
date: 2024-04-01T09:00:00+00:00
section: World
---

The works began in 2020.
"""

QUAY_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 320" width="640" height="320">
<rect width="640" height="320" fill="#3c4a57"/><rect y="220" width="640" height="100" fill="#8a8f94"/>
</svg>
"""


def write_shortcode_site(site: Path, engine: str = "commonmark") -> Path:
    """A small site: the article using every built-in shortcode, the article it relates to, a picture."""
    return write_tree(site, {
        "site.yaml": f"title: Harbour News\nbase_url: https://example.org/news/\nmarkdown: {engine}\n",
        ARTICLE: EVERY_SHORTCODE,
        "content/world/harbour.md": HARBOUR,
        "static/images/quay.svg": QUAY_SVG,
    })
