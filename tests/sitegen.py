"""Deterministic generated sites for tests: many articles with realistic front matter."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

SECTIONS = ("World", "Politics", "Business", "Sport", "Culture")
TAGS = ("Europe", "Elections", "Economy", "Climate", "Health", "Technology", "Football", "Courts")
WORDS = ("council", "minister", "vote", "budget", "river", "league", "court", "market", "school", "harbour",
         "report", "plan", "city", "season", "energy", "treaty", "strike", "museum", "police", "railway")


def article_text(index: int, start: datetime | None = None) -> tuple[str, str]:
    """(relative path, file text) of generated article number `index`."""
    rng = random.Random(f"article-{index}")
    start = start or datetime(2023, 1, 1, 6, 0, tzinfo=timezone.utc)
    section = SECTIONS[index % len(SECTIONS)]
    title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} story number {index}"
    date = start + timedelta(hours=7 * index, minutes=rng.randrange(60))
    tags = sorted(rng.sample(TAGS, rng.randrange(0, 3)))
    paragraphs = []
    for _ in range(rng.randrange(2, 5)):
        sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randrange(6, 14))).capitalize() + "."
                     for _ in range(rng.randrange(2, 5))]
        paragraphs.append(" ".join(sentences))
    front = [f"title: {title}", f"date: {date.isoformat()}", f"section: {section}",
             f"tags: [{', '.join(tags)}]", "author: Staff"]
    if index % 3 == 0:
        front.append(f"summary: Summary of story {index}.")
    body = "\n\n".join(paragraphs)
    return f"content/{section.lower()}/story-{index:05d}.md", "---\n" + "\n".join(front) + "\n---\n\n" + body + "\n"


def write_site(root: Path, count: int, config: str = "") -> Path:
    """Write a site with `count` generated articles under root; return root."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(config or "title: Generated News\nbase_url: https://example.org/\nper_page: 10\n",
                                    encoding="utf-8")
    for index in range(count):
        path, text = article_text(index)
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root
