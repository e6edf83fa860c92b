"""Search-engine and social metadata: image URLs, feed links and schema.org JSON-LD, safe inside <script>."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from broadsheet.config import Config
from broadsheet.images import CARD_HEIGHT, CARD_WIDTH, card_url
from broadsheet.model import Article, ListPage
from broadsheet.slugs import quote_path, slugify

SCHEMA = "https://schema.org"
# In a <script> element, "</script", "<!--" and "-->" end or confuse the element; JSON may spell them escaped.
_SCRIPT_SAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def media_url(path: str, config: Config) -> str:
    """The URL of an image given in front matter or site.yaml: a URL as it is, else a path under static/."""
    if urlsplit(path).scheme or path.startswith("//"):
        return path
    return config.base_path + path.lstrip("/")


def absolute_url(url: str, config: Config) -> str:
    """A root-relative URL made absolute with base_url's scheme and host."""
    return url if urlsplit(url).scheme else (("https:" + url) if url.startswith("//") else config.origin + url)


def script_json(data: Any) -> str:
    """JSON that cannot break out of a <script> element, whatever its strings contain."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for character, escaped in _SCRIPT_SAFE:  # (str.replace: several times faster than str.translate with a table)
        text = text.replace(character, escaped)
    return text


def _publisher(config: Config) -> dict[str, Any]:
    publisher: dict[str, Any] = {"@type": "Organization", "name": config.publisher_name}
    if config.publisher.logo:
        publisher["logo"] = {"@type": "ImageObject", "url": absolute_url(media_url(config.publisher.logo, config),
                                                                         config)}
    return publisher


def _breadcrumbs(trail: list[tuple[str, str]]) -> dict[str, Any]:
    return {"@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": n, "name": name, "item": url} for n, (name, url) in enumerate(trail, 1)]}


def article_jsonld(article: Article, config: Config) -> str:
    """NewsArticle and its breadcrumbs (home, section, article) for an article page."""
    home = config.origin + config.base_path
    news: dict[str, Any] = {
        "@type": "NewsArticle", "headline": article.title, "description": article.description,
        "mainEntityOfPage": {"@type": "WebPage", "@id": article.permalink}, "url": article.permalink,
        "datePublished": article.date.isoformat(timespec="seconds") if article.date else None,
        "dateModified": (article.updated or article.date).isoformat(timespec="seconds") if article.date else None,
        "author": [{"@type": "Person", "name": name,
                    "url": home + quote_path("authors/" + slugify(name) + "/")} for name in article.authors],
        "publisher": _publisher(config), "articleSection": article.section,
        "keywords": list(article.tags), "wordCount": article.word_count, "inLanguage": config.language,
    }
    if article.image:
        news["image"] = [_image_object(article, config)]
    news = {key: value for key, value in news.items() if value not in (None, [], "")}
    trail = [(config.labels.home, home), (article.section, home + quote_path(article.section_slug + "/")),
             (article.title, article.permalink)]
    return script_json({"@context": SCHEMA, "@graph": [news, _breadcrumbs(trail)]})


def _image_object(article: Article, config: Config) -> dict[str, Any]:
    """The lead image as schema.org's ImageObject: its social card where Broadsheet makes one, with the full image,
    caption and credit."""
    assert article.image is not None
    original = absolute_url(media_url(article.image, config), config)
    card = card_url(article.image, article.meta, config)
    image: dict[str, Any] = {"@type": "ImageObject", "url": absolute_url(card, config) if card else original}
    if card:
        image.update(contentUrl=original, width=CARD_WIDTH, height=CARD_HEIGHT)
    for key, field in (("caption", "image_caption"), ("creditText", "image_credit")):
        if isinstance(value := article.meta.get(field), str) and value:
            image[key] = value
    return image


def page_jsonld(article: Article, config: Config) -> str:
    """Breadcrumbs for a page that is not news (About, Contact)."""
    home = config.origin + config.base_path
    return script_json({"@context": SCHEMA, **_breadcrumbs([(config.labels.home, home),
                                                            (article.title, article.permalink)])})


def listing_jsonld(listing: ListPage, config: Config) -> str:
    """WebSite on the home page; breadcrumbs on section, tag and author pages."""
    home = config.origin + config.base_path
    if listing.kind == "home":
        website = {"@context": SCHEMA, "@type": "WebSite", "name": config.title, "url": home,
                   "inLanguage": config.language, "publisher": _publisher(config)}
        if config.description:
            website["description"] = config.description
        return script_json(website)
    trail = [(config.labels.home, home)]
    if listing.kind == "tag":
        trail.append((config.labels.tags, home + "tags/"))
    elif listing.kind == "author":
        trail.append((config.labels.authors, home + "authors/"))
    trail.append((listing.title, config.origin + listing.page_urls[0]))
    return script_json({"@context": SCHEMA, **_breadcrumbs(trail)})

