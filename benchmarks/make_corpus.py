#!/usr/bin/env python3
"""Deterministic news-article corpus generator for static-site-generator benchmarks.

Writes N realistic news articles (about 600-900 words of Markdown each) with
front matter, optionally wrapped in a complete, buildable site for a peer tool,
so that a cold build of the same corpus can be timed with one command.

Usage::

    python benchmarks/make_corpus.py --articles 1000 --out /tmp/corpus/broadsheet-1000
    python benchmarks/make_corpus.py --articles 1000 --out /tmp/corpus/hugo-1000 --format hugo

``benchmarks/run.py`` calls it for every tool it times.

Formats
-------
broadsheet (default, our own layout)
    ``content/<section>/<slug>.md`` with YAML front matter: ``title``, ``date``
    (ISO 8601 with a UTC offset), ``author``, ``section``, ``tags`` (list),
    ``summary`` (2-3 sentences, on about 70% of articles, absent on the rest),
    ``sources`` (list of strings) and ``draft: true`` on about 1% of articles.
hugo
    The same files under ``content/``, plus ``hugo.toml`` and ``layouts/``.
    Build: ``cd DIR && hugo --quiet`` (output in ``public/``).
eleventy
    The same files under ``content/``, plus ``eleventy.config.cjs`` and a
    Nunjucks layout in ``content/_includes/``.
    Build: ``cd DIR && npx @11ty/eleventy --quiet`` (output in ``_site/``).
pelican
    Pelican's Markdown metadata header (``Title:``, ``Date:``, ``Category:``,
    ``Tags:``, ``Author:``, ``Summary:``, ``Status: draft`` ...) under
    ``content/<section>/``, plus ``pelicanconf.py``, ``cacheconf.py`` (same
    settings with Pelican's content cache switched on) and a minimal theme.
    Build: ``cd DIR && pelican -s pelicanconf.py -q`` (output in ``output/``).

Every peer site renders each article through a template that shows the title,
date, author, the summary (behind a "No time to read? Get a summary" toggle
when the article has one), the body, and links to the previous and next
article in date order; plus a home page listing the 20 newest articles.
Drafts are not published. Tag, category, author and archive pages, feeds and
sitemaps are switched off in every peer so that the builds do the same work.

Determinism
-----------
The same ``--seed`` and ``--articles`` give byte-identical files (only the
standard library is used; every random choice comes from a per-article
``random.Random`` seeded with a string, which does not depend on
``PYTHONHASHSEED``). The corpus is prefix-stable: article ``i`` is the same
whatever N is, so the 1,000-article corpus is the first 1,000 articles of the
10,000-article one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

FORMATS = ("broadsheet", "hugo", "pelican", "eleventy")

# Section name -> relative weight in the corpus.
SECTIONS: dict[str, int] = {
    "world": 20,
    "politics": 18,
    "business": 16,
    "technology": 12,
    "sport": 12,
    "culture": 10,
    "science": 8,
    "opinion": 4,
}

PEOPLE = [
    "Ольга Смирнова", "Дмитрий Иванов", "Анна Кузнецова", "Сергей Павлов",
    "José Álvarez", "María Fernández", "Zoë Müller", "Jürgen Weiß",
    "François Lefèvre", "Chloé Dubois", "Siobhán O’Connor", "Seán Ó Briain",
    "Łukasz Wiśniewski", "Agnieszka Wójcik", "Björn Sæther", "Åsa Lindqvist",
    "Nnamdi Okafor", "Amara Nwosu", "Aiko Tanaka", "Kenji Watanabe",
    "Priya Raghunathan", "Arjun Mehta", "Fatima Al-Hassan", "Omar Haddad",
    "Elena Popescu", "Mihai Ionescu", "Lucía Gómez", "Thiago Gonçalves",
    "Grace Mwangi", "Daniel Kowalczyk", "Sarah Whitfield", "Tom Abernethy",
    "Hannah Birchall", "Mark Delaney", "Ingrid Håkansson", "Nikolaos Papadakis",
    "Emre Yıldız", "Zeynep Kaya", "Olivia Brennan", "Samuel Adeyemi",
]

AUTHORS = PEOPLE[:4] + PEOPLE[4:40:3] + ["Staff reporter", "Newsdesk"]

ROLES = [
    "a spokesperson for", "the chief economist at", "a senior official at",
    "the head of", "a researcher at", "the deputy director of",
    "a lawyer representing", "an analyst at", "the chair of",
    "a former adviser to",
]

PLACES = [
    "Zürich", "Reykjavík", "Łódź", "Kraków", "São Paulo", "Bogotá", "Montréal",
    "Düsseldorf", "Malmö", "İstanbul", "Brussels", "Nairobi", "Lagos",
    "Manchester", "Glasgow", "Lisbon", "Seville", "Tbilisi", "Almaty", "Kyiv",
    "Vilnius", "Osaka", "Chennai", "Jakarta", "Valparaíso", "Québec City",
    "Thessaloniki", "Gdańsk", "Tromsø", "Cork",
]

ORGS = {
    "world": ["the United Nations", "the European Commission", "the African Union",
              "the Red Cross", "the foreign ministry", "NATO", "the World Bank"],
    "politics": ["the finance ministry", "the opposition party", "the electoral commission",
                 "the city council", "the constitutional court", "parliament's budget committee",
                 "the governing coalition"],
    "business": ["the central bank", "the statistics office", "Nordvik Shipping",
                 "Halden & Rowe", "the chamber of commerce", "Meridian Retail Group",
                 "the competition regulator"],
    "technology": ["the data protection authority", "Quillsoft", "Tessellate Labs",
                   "the telecoms regulator", "an open-source foundation", "Voltaic Systems",
                   "the national cyber security centre"],
    "sport": ["the football association", "the Olympic committee", "FC Rovers",
              "the league", "the anti-doping agency", "Atlético Marítimo",
              "the cycling federation"],
    "culture": ["the national theatre", "the arts council", "the film festival",
                "the city museum", "a publishing house", "the philharmonic",
                "the heritage trust"],
    "science": ["the space agency", "the university hospital", "the meteorological office",
                "the Max Planck Institute", "the national academy of sciences",
                "a research consortium", "the marine biology station"],
    "opinion": ["the government", "the opposition", "the regulator", "the central bank",
                "the city council", "the ministry of education", "the trade unions"],
}

TOPICS = {
    "world": ["the ceasefire talks", "the refugee crisis", "the trade agreement",
              "the border dispute", "humanitarian access", "the sanctions regime",
              "the peace process", "the election monitoring mission"],
    "politics": ["the budget", "the pension reform", "the housing bill", "the coalition talks",
                 "the tax package", "the electoral reform", "the snap election",
                 "the inquiry into lobbying"],
    "business": ["inflation", "interest rates", "the merger", "quarterly profits",
                 "the bond market", "consumer spending", "energy prices", "the takeover bid"],
    "technology": ["the data breach", "the new privacy rules", "the chip shortage",
                   "the software update", "the broadband rollout", "the AI guidelines",
                   "the outage", "the encryption debate"],
    "sport": ["the title race", "the transfer window", "the doping case",
              "the stadium redevelopment", "the World Cup qualifier",
              "the coaching vacancy", "the relegation battle", "the season opener"],
    "culture": ["the restoration project", "the festival programme", "the funding cuts",
                "the retrospective", "the prize shortlist", "the new production",
                "the archive digitisation", "the book fair"],
    "science": ["the clinical trial", "the launch", "the drought", "the vaccine study",
                "the heatwave", "the telescope observations", "the glacier survey",
                "the gene-editing experiment"],
    "opinion": ["the housing crisis", "the budget", "public broadcasting", "the school reform",
                "the climate targets", "the health service", "press freedom",
                "the transport strategy"],
}

TAGS = {
    "world": ["diplomacy", "conflict", "migration", "united nations", "europe", "africa",
              "asia", "latin america", "sanctions", "human rights"],
    "politics": ["elections", "parliament", "budget", "pensions", "housing", "taxation",
                 "local government", "coalition", "lobbying", "courts"],
    "business": ["economy", "inflation", "markets", "banking", "energy", "retail",
                 "mergers", "jobs", "trade", "shipping"],
    "technology": ["privacy", "cybersecurity", "semiconductors", "artificial intelligence",
                   "telecoms", "open source", "startups", "regulation", "software", "outages"],
    "sport": ["football", "cycling", "athletics", "tennis", "olympics", "doping",
              "transfers", "rugby", "stadiums", "women’s sport"],
    "culture": ["theatre", "film", "books", "music", "museums", "heritage", "art",
                "festivals", "television", "architecture"],
    "science": ["space", "climate", "health", "medicine", "biology", "physics",
                "oceans", "weather", "genetics", "research funding"],
    "opinion": ["editorial", "comment", "letters", "housing", "education", "climate",
                "media", "health", "transport", "democracy"],
}

ADJECTIVES = [
    "unprecedented", "modest", "fragile", "long-awaited", "controversial", "sweeping",
    "cautious", "ambitious", "unexpected", "significant", "limited", "bitter",
    "historic", "temporary", "costly", "narrow",
]

TIME_PHRASES = [
    "on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday",
    "at the weekend", "last week", "earlier this month", "late on Sunday",
    "in a statement on Thursday", "overnight",
]

FUTURE_PHRASES = [
    "from next month", "before the end of the year", "within weeks", "in the spring",
    "by the summer", "next year", "as early as January", "once the law is signed",
]

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]

QUOTES = [
    "We are not going to rush this, and we are not going to be rushed",
    "This is the most serious situation we have faced in a generation",
    "Nobody expected the numbers to move this quickly",
    "The people of {place} deserve straight answers, not slogans",
    "We’ve done the work, now it’s time to deliver",
    "It’s too early to say whether this will last",
    "Frankly, the figures speak for themselves",
    "There is still a lot we don’t know",
    "We will keep talking for as long as it takes",
    "This is a good day for {place}, but the hard part starts now",
    "I have never seen anything like it in thirty years",
    "Our priority is to keep people safe",
    "The decision was taken after very careful consideration",
    "We simply cannot afford to wait another year",
    "It’s a setback, not the end of the road",
    "Everyone in the room knew what was at stake",
]

SOURCES_FIXED = [
    "Reuters", "Agence France-Presse", "Associated Press", "Interfax", "dpa",
    "Kyodo News", "EFE", "ANSA", "PAP", "Staff reporting",
]

HEADINGS = [
    "What happens next", "Background", "The numbers", "Reaction", "Why it matters",
    "What they said", "A long road", "The wider picture", "Key questions",
    "How we got here", "The view from {place}", "Winners and losers",
]

TITLE_TEMPLATES = [
    "{org_cap} warns {topic} could take years to resolve",
    "{place}: {topic} sparks {adj} protest",
    "{person} named new head of {org}",
    "{topic_cap} deal reached after {adj} all-night session",
    "What {topic} means for {place}",
    "{org_cap} under pressure over {topic}",
    "‘{quote_short}’: {person} on {topic}",
    "{topic_cap} hits {adj} milestone as costs reach {money}",
    "Inside {topic}: {adj} choices for {place}",
    "{person} says {topic} is ‘{adj}’",
    "{org_cap} delays decision on {topic}",
    "Five things to know about {topic}",
    "{place} braces for {topic}",
    "Analysis: why {topic} matters beyond {place}",
]

SENTENCE_TEMPLATES = [
    "{person}, {role} {org}, said {time} that {topic} remained {adj} despite weeks of negotiation.",
    ("According to figures published by {org}, the cost of {topic} rose by {pct} in the "
    "three months to {month}, the fastest pace since {year}."),
    "“{quote},” {person} told reporters in {place}.",
    "The decision, which follows a {adj} debate in {place}, is expected to affect roughly {number} people.",
    "Critics argue that {topic} has been handled poorly, pointing to {adj} delays and a bill of {money}.",
    "{org_cap} declined to comment {time}.",
    "It is not the first time that {topic} has divided opinion in {place}.",
    "Officials in {place} said the measures would take effect {future}.",
    "In a statement, {org} described the outcome as “{adj} but necessary”.",
    "Turnout was estimated at {pct}, down from {pct2} four years ago.",
    "Supporters say the plan is {adj}; opponents call it a distraction from {topic}.",
    "{person} has been at the centre of {topic} since {year}, when the first proposals were drafted.",
    "The row over {topic} is likely to dominate the agenda when ministers meet in {place} {future}.",
    "A spokesperson for {org} said it would “study the details carefully” before responding.",
    "Independent estimates put the total at {money}, roughly {pct} more than originally planned.",
    "Some {number} residents of {place} have signed a petition calling for a rethink.",
    "Asked whether {topic} could be settled {future}, {person} said only that talks were continuing.",
    "The episode has raised {adj} questions about oversight at {org}.",
    "Data from {org} suggests the trend began well before {month} {year}.",
    "Few observers in {place} expect a quick resolution.",
    "The proposal still needs the approval of {org}, which is due to vote {future}.",
    "“{quote},” said {person}, {role} {org}.",
    "Earlier drafts of the plan, seen by this newspaper, put the figure closer to {money}.",
    "For many in {place}, {topic} is less an abstract policy question than a matter of everyday life.",
    "The {adj} compromise was welcomed by {org} but criticised by campaigners.",
    "Similar measures were introduced in {place} in {year}, with mixed results.",
    "That leaves {org} with a {adj} margin for error.",
    "Under the new rules, payments will rise by {pct} {future}.",
]

LIST_INTROS = ["The key points:", "What we know so far:", "The main changes include:",
               "Among the measures announced:", "In brief:"]

LIST_ITEMS = [
    "a cap of {money} on annual spending",
    "a review of {topic} {future}",
    "new powers for {org}",
    "a {pct} increase in funding for {place}",
    "public consultations in {place} and {place2}",
    "an independent panel chaired by {person}",
    "a freeze on new contracts until {month}",
    "quarterly reports to parliament on {topic}",
    "support for an estimated {number} households",
    "a pilot scheme in {place} {future}",
]

CODE_SPANS = ["v2.14.1", "CVE-2024-3187", "max_connections", "--no-verify", "HTTP 503",
              "GDP_q3", "ISO 27001", "sudo apt upgrade", "README.md", "0x7f3a"]

TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o",
     "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e",
     "yu", "ya"],
    strict=True,
))
TRANSLIT.update({"ł": "l", "ø": "o", "æ": "ae", "ß": "ss", "ı": "i", "đ": "d"})


def slugify(text: str, max_words: int = 8) -> str:
    """ASCII slug of ``text``: transliterated, lower-case, hyphen-separated."""
    text = "".join(TRANSLIT.get(ch, ch) for ch in text.lower())
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", text)
    return "-".join(words[:max_words]) or "article"


def cap(text: str) -> str:
    """Upper-case the first character only (``str.capitalize`` lowers the rest)."""
    return text[:1].upper() + text[1:]


_PLAIN_YAML = re.compile(r"[^\W\d_][\w .,’()/-]*")
_YAML_RESERVED = {"yes", "no", "true", "false", "on", "off", "null", "y", "n"}


def yaml_scalar(value: str) -> str:
    """A YAML scalar for ``value``: plain when unambiguous, else double-quoted.

    A JSON string (non-ASCII kept) is a valid YAML double-quoted scalar.
    """
    if (_PLAIN_YAML.fullmatch(value) and not value.endswith(" ")
            and value.lower() not in _YAML_RESERVED):
        return value
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Article:
    """One generated article, independent of the output format."""

    index: int
    title: str
    slug: str
    section: str
    date: dt.datetime
    author: str
    tags: list[str]
    summary: str | None
    sources: list[str]
    draft: bool
    body: str
    words: int = field(default=0)

    @property
    def url(self) -> str:
        return f"/{self.section}/{self.slug}/"


class ArticleWriter:
    """Builds the text of one article from a per-article random generator."""

    def __init__(self, rng: random.Random, section: str, date: dt.datetime,
                 earlier: Article | None):
        self.rng = rng
        self.section = section
        self.date = date
        self.earlier = earlier
        self.words = 0

    # -- small helpers -------------------------------------------------
    def pick(self, seq):
        return self.rng.choice(seq)

    def money(self) -> str:
        amount = self.rng.choice([self.rng.randint(12, 950), round(self.rng.uniform(1.1, 9.9), 1)])
        unit = "m" if isinstance(amount, int) else "bn"
        return f"{self.pick(['€', '£', '$'])}{amount}{unit}"

    def pct(self) -> str:
        return f"{self.rng.uniform(0.3, 38.0):.1f}%"

    def number(self) -> str:
        return f"{self.rng.randint(2, 480) * 100:,}"

    def fill(self, template: str) -> str:
        """Replace ``{placeholders}`` in ``template`` with random values and
        occasional inline markup (emphasis, strong, links, code spans)."""
        rng = self.rng
        values = {
            "person": self.pick(PEOPLE),
            "role": self.pick(ROLES),
            "org": self.pick(ORGS[self.section]),
            "place": self.pick(PLACES),
            "place2": self.pick(PLACES),
            "topic": self.pick(TOPICS[self.section]),
            "adj": self.pick(ADJECTIVES),
            "time": self.pick(TIME_PHRASES),
            "future": self.pick(FUTURE_PHRASES),
            "month": self.pick(MONTHS),
            "year": str(self.date.year - rng.randint(1, 15)),
            "pct": self.pct(),
            "pct2": self.pct(),
            "money": self.money(),
            "number": self.number(),
        }
        values["quote"] = self.pick(QUOTES).format(place=values["place"])
        values["quote_short"] = values["quote"].split(",")[0][:48].rstrip()
        if rng.random() < 0.08:
            values["adj"] = f"*{values['adj']}*"
        if rng.random() < 0.06:
            org = values["org"]
            values["org"] = f"[{org}](https://www.example.org/{slugify(org)})"
        if rng.random() < 0.05:
            values["person"] = f"**{values['person']}**"
        if self.section == "technology" and rng.random() < 0.15:
            values["topic"] += f" (`{self.pick(CODE_SPANS)}`)"
        values["org_cap"] = cap(values["org"])
        values["topic_cap"] = cap(values["topic"])
        return template.format(**values)

    def sentence(self) -> str:
        text = self.fill(self.pick(SENTENCE_TEMPLATES))
        self.words += len(text.split())
        return text

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))

    # -- block-level pieces --------------------------------------------
    def heading(self) -> str:
        level = "###" if self.rng.random() < 0.2 else "##"
        text = self.pick(HEADINGS).format(place=self.pick(PLACES))
        self.words += len(text.split())
        return f"{level} {text}"

    def bullet_list(self) -> str:
        items = [self.fill(self.pick(LIST_ITEMS)) for _ in range(self.rng.randint(3, 6))]
        self.words += sum(len(i.split()) for i in items)
        numbered = self.rng.random() < 0.3
        lines = [f"{n}. {cap(item)}" if numbered else f"- {cap(item)}"
                 for n, item in enumerate(items, 1)]
        return self.pick(LIST_INTROS) + "\n\n" + "\n".join(lines)

    def blockquote(self) -> str:
        place = self.pick(PLACES)
        quote = self.pick(QUOTES).format(place=place)
        who = f"{self.pick(PEOPLE)}, {self.pick(ROLES)} {self.pick(ORGS[self.section])}"
        self.words += len(quote.split()) + len(who.split())
        return f"> “{quote}.”\n>\n> — {who}"

    def table(self) -> str:
        rng = self.rng
        if self.section == "sport":
            head = "| Team | P | W | D | L | Pts |\n|:-----|--:|--:|--:|--:|----:|"
            rows = []
            for team in rng.sample(PLACES, 5):
                won, drawn, lost = rng.randint(0, 12), rng.randint(0, 6), rng.randint(0, 10)
                rows.append(f"| {team} | {won + drawn + lost} | {won} | {drawn} | {lost} "
                            f"| {3 * won + drawn} |")
        elif self.section in ("politics", "world"):
            head = "| Party | Seats | Share | Change |\n|:------|------:|------:|-------:|"
            rows = [f"| {p} | {rng.randint(3, 180)} | {self.pct()} | {rng.choice('+−')}{rng.randint(1, 25)} |"
                    for p in ("Social Democrats", "Liberal Alliance", "Greens",
                              "Centre Party", "Independents")]
        else:
            head = "| Indicator | Q1 | Q2 | Q3 | Q4 |\n|:----------|---:|---:|---:|---:|"
            rows = [f"| {name} | " + " | ".join(self.pct() for _ in range(4)) + " |"
                    for name in ("Revenue growth", "Operating margin", "Inflation",
                                 "Unemployment")]
        caption = f"*Source: {self.pick(ORGS[self.section])}, {self.date.year}.*"
        return head + "\n" + "\n".join(rows) + "\n\n" + caption

    def body(self, target_words: int) -> str:
        """Lede, then paragraphs with headings and the odd list, quote, table."""
        rng = self.rng
        lede = self.paragraph()
        blocks = [f"**{self.pick(PLACES).upper()}** — {lede}"]
        extras = []
        if rng.random() < 0.6:
            extras.append(self.bullet_list)
        if rng.random() < 0.7:
            extras.append(self.blockquote)
        if rng.random() < 0.1:
            extras.append(self.table)
        rng.shuffle(extras)
        since_heading = 1
        while self.words < target_words:
            if since_heading >= 3 and rng.random() < 0.45:
                blocks.append(self.heading())
                since_heading = 0
            elif extras and since_heading >= 1 and rng.random() < 0.25:
                blocks.append(extras.pop()())
            else:
                blocks.append(self.paragraph())
            since_heading += 1
        for extra in extras:  # any not placed yet go after a random block
            blocks.insert(rng.randint(1, len(blocks)), extra())
        if self.earlier is not None and rng.random() < 0.4:
            blocks.append(f"*Read more: [{self.earlier.title}]({self.earlier.url})*")
        return "\n\n".join(blocks) + "\n"


def make_articles(count: int, seed: str) -> list[Article]:
    """Generate ``count`` articles, newest first, all dated before 2026-01-01 whatever ``count`` is.

    Article ``i`` is the i-th newest, so a smaller corpus is the newest part of a larger one, and every article
    is in the past (a generator leaves future-dated articles out)."""
    sections = list(SECTIONS)
    weights = [SECTIONS[s] for s in sections]
    articles: list[Article] = []
    published: list[Article] = []
    used_slugs: dict[str, int] = {}
    moment = dt.datetime(2026, 1, 1, 6, 0)
    for i in range(count):
        rng = random.Random(f"{seed}:{i}")
        moment -= dt.timedelta(minutes=rng.randint(10, 170))
        offset = rng.choice([0, 0, 1, 1, 2, 3, -5, 5.5])
        tz = dt.timezone(dt.timedelta(hours=offset))
        date = moment.replace(tzinfo=tz)
        section = rng.choices(sections, weights)[0]
        earlier = published[rng.randrange(len(published))] if published else None  # never link to a draft
        writer = ArticleWriter(rng, section, date, earlier)
        title = writer.fill(rng.choice(TITLE_TEMPLATES))
        title = cap(re.sub(r"[*`]|\[([^\]]*)\]\([^)]*\)|\s\(v?[^)]*\)", r"\1", title))
        base = slugify(title)
        n = used_slugs.get(base, 0) + 1
        used_slugs[base] = n
        slug = base if n == 1 else f"{base}-{n}"
        tags = rng.sample(TAGS[section], rng.randint(2, 5))
        summary = None
        if rng.random() < 0.7:
            summary = " ".join(re.sub(r"[*`]|\[([^\]]*)\]\([^)]*\)", r"\1", writer.sentence())
                               for _ in range(rng.randint(2, 3)))
        sources = rng.sample(SOURCES_FIXED, rng.randint(0, 2))
        sources.append(f"{cap(rng.choice(ORGS[section]))}, statement of "
                       f"{date.day} {MONTHS[date.month - 1]} {date.year}")
        draft = rng.random() < 0.01
        writer.words = 0
        body = writer.body(rng.randint(600, 900))
        articles.append(Article(
            index=i, title=title, slug=slug, section=section, date=date,
            author=rng.choice(AUTHORS), tags=tags, summary=summary, sources=sources,
            draft=draft, body=body, words=writer.words,
        ))
        if not draft:
            published.append(articles[-1])
    return articles


# ---------------------------------------------------------------------------
# Article file formats
# ---------------------------------------------------------------------------

def yaml_front_matter(a: Article) -> str:
    lines = ["---", f"title: {yaml_scalar(a.title)}", f"date: {a.date.isoformat()}",
             f"author: {yaml_scalar(a.author)}", f"section: {a.section}", "tags:"]
    lines += [f"  - {yaml_scalar(t)}" for t in a.tags]
    if a.summary is not None:
        lines.append(f"summary: {yaml_scalar(a.summary)}")
    lines.append("sources:")
    lines += [f"  - {yaml_scalar(s)}" for s in a.sources]
    if a.draft:
        lines.append("draft: true")
    lines.append("---")
    return "\n".join(lines) + "\n\n"


def pelican_header(a: Article) -> str:
    lines = [f"Title: {a.title}", f"Date: {a.date.isoformat()}", f"Category: {a.section}",
             f"Tags: {', '.join(a.tags)}", f"Author: {a.author}", f"Slug: {a.slug}"]
    if a.summary is not None:
        lines.append(f"Summary: {a.summary}")
    lines.append(f"Sources: {'; '.join(a.sources)}")
    if a.draft:
        lines.append("Status: draft")
    return "\n".join(lines) + "\n\n"


# ---------------------------------------------------------------------------
# Peer site scaffolding
# ---------------------------------------------------------------------------

HUGO_CONFIG = """\
baseURL = "https://news.example.org/"
languageCode = "en-gb"
title = "The Broadsheet (benchmark)"
# Article pages and the home page only, as in the other peers.
disableKinds = ["section", "taxonomy", "term", "rss", "sitemap", "robotstxt", "404"]
"""

HUGO_SINGLE = """\
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body>
<article>
<h1>{{ .Title }}</h1>
<p class="meta"><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time> · {{ .Params.author }} · {{ .Params.section }}</p>
{{ with .Params.summary }}<details class="summary"><summary>No time to read? Get a summary</summary><p>{{ . }}</p></details>{{ end }}
{{ .Content }}
</article>
<nav class="prev-next">
{{ with .Prev }}<a rel="prev" href="{{ .RelPermalink }}">← {{ .Title }}</a>{{ end }}
{{ with .Next }}<a rel="next" href="{{ .RelPermalink }}">{{ .Title }} →</a>{{ end }}
</nav>
</body>
</html>
"""

HUGO_HOME = """\
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ .Site.Title }}</title></head>
<body>
<h1>{{ .Site.Title }}</h1>
<ul>
{{ range first 20 .Site.RegularPages.ByDate.Reverse }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
{{ end }}</ul>
</body>
</html>
"""

PELICAN_CONF = """\
# Pelican settings: article pages and the home page only, as in the other peers.
AUTHOR = "Newsdesk"
SITENAME = "The Broadsheet (benchmark)"
SITEURL = ""
PATH = "content"
OUTPUT_PATH = "output"
THEME = "theme"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%-d %B %Y"
ARTICLE_URL = "{category}/{slug}/"
ARTICLE_SAVE_AS = "{category}/{slug}/index.html"
DRAFT_SAVE_AS = ""
DIRECT_TEMPLATES = ["index"]
DEFAULT_PAGINATION = False
TAG_SAVE_AS = ""
CATEGORY_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
"""

PELICAN_CACHE_CONF = """\
# The same settings with Pelican's content cache on (for re-run timings).
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pelicanconf import *  # noqa: E402,F403

CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CONTENT_CACHING_LAYER = "reader"
CHECK_MODIFIED_METHOD = "mtime"
"""

PELICAN_BASE = """\
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{% block title %}{{ SITENAME }}{% endblock %}</title></head>
<body>
{% block content %}{% endblock %}
</body>
</html>
"""

# Pelican has no previous/next links without a plugin; ``articles`` (newest
# first) is in every template's context, and list.index() finds the position
# of the current article in C, so the template can pick the neighbours itself.
PELICAN_ARTICLE = """\
{% extends "base.html" %}
{% block title %}{{ article.title|striptags }}{% endblock %}
{% block content %}
<article>
<h1>{{ article.title }}</h1>
<p class="meta"><time datetime="{{ article.date.isoformat() }}">{{ article.locale_date }}</time> · {{ article.author }} · {{ article.category }}</p>
{% if article.metadata.summary %}<details class="summary"><summary>No time to read? Get a summary</summary>{{ article.metadata.summary }}</details>{% endif %}
{{ article.content }}
</article>
{% if article in articles %}{% set i = articles.index(article) %}
<nav class="prev-next">
{% if i + 1 < articles|length %}{% set older = articles[i + 1] %}<a rel="prev" href="{{ SITEURL }}/{{ older.url }}">← {{ older.title }}</a>{% endif %}
{% if i > 0 %}{% set newer = articles[i - 1] %}<a rel="next" href="{{ SITEURL }}/{{ newer.url }}">{{ newer.title }} →</a>{% endif %}
</nav>
{% endif %}
{% endblock %}
"""

PELICAN_INDEX = """\
{% extends "base.html" %}
{% block content %}
<h1>{{ SITENAME }}</h1>
<ul>
{% for article in articles[:20] %}<li><a href="{{ SITEURL }}/{{ article.url }}">{{ article.title }}</a></li>
{% endfor %}</ul>
{% endblock %}
"""

ELEVENTY_CONFIG = """\
// Eleventy: article pages and the home page only, as in the other peers.
module.exports = function (eleventyConfig) {
  // Drafts are not published.
  eleventyConfig.addPreprocessor("drafts", "md", (data) => {
    if (data.draft) return false;
  });
  // All articles, oldest first (getFilteredByGlob sorts by date).
  eleventyConfig.addCollection("articles", (api) =>
    api.getFilteredByGlob("content/**/*.md"));
  return {
    dir: { input: "content", includes: "_includes", output: "_site" },
    // Article bodies are plain Markdown: no Liquid pre-processing.
    markdownTemplateEngine: false,
  };
};
"""

ELEVENTY_DIR_DATA = json.dumps({"layout": "article.njk"}, indent=2) + "\n"

ELEVENTY_LAYOUT = """\
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<article>
<h1>{{ title }}</h1>
<p class="meta"><time datetime="{{ page.date.toISOString() }}">{{ page.date.toDateString() }}</time> · {{ author }} · {{ section }}</p>
{% if summary %}<details class="summary"><summary>No time to read? Get a summary</summary><p>{{ summary }}</p></details>{% endif %}
{{ content | safe }}
</article>
{% set prev = collections.articles | getPreviousCollectionItem(page) %}
{% set next = collections.articles | getNextCollectionItem(page) %}
<nav class="prev-next">
{% if prev %}<a rel="prev" href="{{ prev.url }}">← {{ prev.data.title }}</a>{% endif %}
{% if next %}<a rel="next" href="{{ next.url }}">{{ next.data.title }} →</a>{% endif %}
</nav>
</body>
</html>
"""

ELEVENTY_HOME = """\
---
layout: false
eleventyExcludeFromCollections: true
permalink: /index.html
---
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>The Broadsheet (benchmark)</title></head>
<body>
<h1>The Broadsheet (benchmark)</h1>
<ul>
{% for item in collections.articles | reverse %}{% if loop.index0 < 20 %}<li><a href="{{ item.url }}">{{ item.data.title }}</a></li>
{% endif %}{% endfor %}</ul>
</body>
</html>
"""

SCAFFOLD: dict[str, dict[str, str]] = {
    "broadsheet": {},
    "hugo": {
        "hugo.toml": HUGO_CONFIG,
        "layouts/_default/single.html": HUGO_SINGLE,
        "layouts/index.html": HUGO_HOME,
    },
    "pelican": {
        "pelicanconf.py": PELICAN_CONF,
        "cacheconf.py": PELICAN_CACHE_CONF,
        "theme/templates/base.html": PELICAN_BASE,
        "theme/templates/article.html": PELICAN_ARTICLE,
        "theme/templates/index.html": PELICAN_INDEX,
    },
    "eleventy": {
        "eleventy.config.cjs": ELEVENTY_CONFIG,
        "content/content.11tydata.json": ELEVENTY_DIR_DATA,
        "content/_includes/article.njk": ELEVENTY_LAYOUT,
        "content/index.njk": ELEVENTY_HOME,
    },
}


def write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def write_corpus(articles: list[Article], out: Path, fmt: str) -> None:
    for rel, text in SCAFFOLD[fmt].items():
        write_file(out / rel, text)
    header = pelican_header if fmt == "pelican" else yaml_front_matter
    for a in articles:
        write_file(out / "content" / a.section / f"{a.slug}.md", header(a) + a.body)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Write a deterministic corpus of news articles (and, for a peer "
                    "format, a buildable site around it).")
    parser.add_argument("--articles", "-n", type=int, required=True, metavar="N",
                        help="number of articles to write")
    parser.add_argument("--out", "-o", type=Path, required=True, metavar="DIR",
                        help="output directory (must not exist, or be empty)")
    parser.add_argument("--format", "-f", choices=FORMATS, default="broadsheet",
                        help="layout to write (default: %(default)s)")
    parser.add_argument("--seed", "-s", default="1",
                        help="random seed; same seed, same bytes (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.articles < 1:
        parser.error("--articles must be at least 1")
    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        parser.error(f"{args.out} exists and is not an empty directory")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    articles = make_articles(args.articles, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    write_corpus(articles, args.out, args.format)
    words = sum(a.words for a in articles)
    print(f"{args.format}: {len(articles)} articles "
          f"({sum(a.draft for a in articles)} drafts, "
          f"{sum(a.summary is not None for a in articles)} with a summary, "
          f"{words / len(articles):.0f} words on average) in {args.out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
