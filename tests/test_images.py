"""The image stage: real JPEG, PNG and WebP files made with Pillow, built into real sites (docs/images.md)."""

from __future__ import annotations

import io
import json
from html.parser import HTMLParser
from pathlib import Path

from badsite import article, good_site
from conftest import read_tree, write_tree
from imagefiles import camera_exif, decompression_bomb, photo, secrets_in, truncated
from lxml import etree
from PIL import Image

from broadsheet.stages.imaging import strip_metadata

DATE = "date: 2024-05-01T09:00:00+00:00"
LEAD = ("image: images/lead.jpg\nimage_alt: The harbour at dawn\nimage_caption: The first ferry leaves.\n"
        "image_credit: 'Photo: A. Photographer'")
BODY = ("The harbour reopened.\n\n![Cranes over the quay](/images/cranes.png)\n\n"
        '<figure><img src="/news/images/night.webp" alt="The quay at night"><figcaption>At night</figcaption>'
        "</figure>\n\n![A remote photo](https://example.com/remote.jpg)\n\n![Not a file](/images/missing.jpg)\n\n"
        "![A chart](/images/chart.svg)\n\n![An animation](/images/spinner.gif)\n")
CONFIG = "title: T\nbase_url: https://example.org/news/\n"


def photo_site(path: Path, config: str = CONFIG, **extra: str | bytes) -> Path:
    """A site with an article whose lead image and body images are photographs with camera data."""
    gif = io.BytesIO()
    Image.new("P", (8, 8)).save(gif, "GIF")
    return good_site(path, {
        "static/images/lead.jpg": photo(2000, 1333, exif=camera_exif()),
        "static/images/cranes.png": photo(700, 420, "PNG", exif=camera_exif()),
        "static/images/night.webp": photo(1000, 600, "WEBP", exif=camera_exif()),
        "static/images/chart.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
        "static/images/spinner.gif": gif.getvalue(),
        "content/world/harbour.md": article(f"title: Harbour\n{DATE}\n{LEAD}", BODY),
        **extra}, config=config)


def build(run_cli, site: Path, *options: str) -> Path:
    result = run_cli("build", "--site", str(site), "--quiet", *options)
    assert result.status == 0, result.err
    return site / "public"


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.sources: list[dict[str, str | None]] = []
        self.captions: list[str] = []
        self._caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag == "source":
            self.sources.append(dict(attrs))
        self._caption = tag == "figcaption" or self._caption

    def handle_endtag(self, tag: str) -> None:
        self._caption = self._caption and tag != "figcaption"

    def handle_data(self, data: str) -> None:
        if self._caption and data.strip():
            self.captions.append(data.strip())


def page_images(page: Path) -> _Images:
    parsed = _Images()
    parsed.feed(page.read_text(encoding="utf-8"))
    return parsed


def candidates(srcset: str | None) -> list[tuple[str, int]]:
    return [(url, int(width.rstrip("w"))) for url, width in (c.split() for c in (srcset or "").split(", ") if c)]


def test_no_camera_data_is_published_in_any_image_file(tmp_path: Path, run_cli) -> None:
    site = photo_site(tmp_path / "site")
    out = build(run_cli, site)
    published = {path: data for path, data in read_tree(out).items() if path.endswith((".jpg", ".png", ".webp"))}
    assert {"images/lead.jpg", "images/cranes.png", "images/night.webp"} <= published.keys()
    assert len(published) > 10  # the originals, their copies and the social card
    for path, data in published.items():
        assert secrets_in(data) == [], path
    for source in ("lead.jpg", "cranes.png", "night.webp"):
        assert secrets_in((site / "static/images" / source).read_bytes())  # (the sources do hold it)


def test_the_original_keeps_its_pixels_losslessly(tmp_path: Path, run_cli) -> None:
    site = photo_site(tmp_path / "site")
    out = build(run_cli, site)
    for name in ("lead.jpg", "cranes.png", "night.webp"):
        source, published = site / "static/images" / name, out / "images" / name
        with Image.open(source) as before, Image.open(published) as after:
            assert before.size == after.size and before.tobytes() == after.tobytes(), name
        assert len(published.read_bytes()) < len(source.read_bytes())


def test_orientation_is_applied_before_the_camera_data_goes(tmp_path: Path, run_cli) -> None:
    site = photo_site(tmp_path / "site", **{"static/images/turned.jpg": photo(300, 200, exif=camera_exif(6))})
    out = build(run_cli, site)
    with Image.open(out / "images/turned.jpg") as image:
        assert image.size == (200, 300) and 0x0112 not in image.getexif()
    assert secrets_in((out / "images/turned.jpg").read_bytes()) == []


def test_images_get_sizes_copies_and_lazy_loading(tmp_path: Path, run_cli) -> None:
    out = build(run_cli, photo_site(tmp_path / "site"))
    parsed = page_images(out / "world/harbour/index.html")
    by_alt = {image["alt"]: image for image in parsed.images}
    lead, cranes, night = by_alt["The harbour at dawn"], by_alt["Cranes over the quay"], by_alt["The quay at night"]
    assert (lead["width"], lead["height"]) == ("2000", "1333")
    assert "loading" not in lead and lead["fetchpriority"] == "high"
    assert candidates(lead["srcset"]) == [("/news/images/lead-480w.jpg", 480), ("/news/images/lead-720w.jpg", 720),
                                          ("/news/images/lead-1100w.jpg", 1100), ("/news/images/lead-1600w.jpg", 1600)]
    assert lead["src"] == "/news/images/lead-1100w.jpg" and lead["sizes"]
    assert (cranes["width"], cranes["height"], cranes["loading"], cranes["decoding"]) == ("700", "420", "lazy", "async")
    assert candidates(cranes["srcset"]) == [("/news/images/cranes-480w.png", 480),
                                            ("/news/images/cranes-700w.png", 700)]
    # The raw HTML figure's image, a WebP: its own format's copies are on the <img>, no <source> needed.
    assert (night["width"], night["height"], night["loading"]) == ("1000", "600", "lazy")
    assert [url for url, _ in candidates(night["srcset"])] == ["/news/images/night-480w.webp",
                                                               "/news/images/night-720w.webp",
                                                               "/news/images/night-1000w.webp"]
    webp = [candidates(s["srcset"]) for s in parsed.sources if s["type"] == "image/webp"]
    assert webp == [[("/news/images/lead-480w.webp", 480), ("/news/images/lead-720w.webp", 720),
                     ("/news/images/lead-1100w.webp", 1100), ("/news/images/lead-1600w.webp", 1600)],
                    [("/news/images/cranes-480w.webp", 480), ("/news/images/cranes-700w.webp", 700)]]
    for url, width in [c for image in parsed.images for c in candidates(image.get("srcset"))
                       if image.get("srcset")] + [c for s in parsed.sources for c in candidates(s["srcset"])]:
        with Image.open(out / url.removeprefix("/news/")) as copy:
            assert copy.width == width, url
    # Left as written: a remote image, one that is not a file, an SVG and a GIF.
    assert by_alt["A remote photo"] == {"alt": "A remote photo", "src": "https://example.com/remote.jpg"}
    assert by_alt["Not a file"] == {"alt": "Not a file", "src": "/news/images/missing.jpg"}
    assert by_alt["A chart"] == {"alt": "A chart", "src": "/news/images/chart.svg"}
    assert by_alt["An animation"] == {"alt": "An animation", "src": "/news/images/spinner.gif"}
    for name in ("chart.svg", "spinner.gif"):
        assert (out / "images" / name).read_bytes() == (tmp_path / "site/static/images" / name).read_bytes()
    assert not list((out / "images").glob("chart-*")) and not list((out / "images").glob("spinner-*"))
    assert parsed.captions[:2] == ["The first ferry leaves.", "Photo: A. Photographer"]


def test_avif_when_listed_and_never_wider_than_the_original(tmp_path: Path, run_cli) -> None:
    config = CONFIG + "images:\n  widths: [300, 3000]\n  formats: [avif, webp]\n  quality: 60\n"
    out = build(run_cli, photo_site(tmp_path / "site", config))
    parsed = page_images(out / "world/harbour/index.html")
    assert [s["type"] for s in parsed.sources][:2] == ["image/avif", "image/webp"]
    assert candidates(parsed.sources[0]["srcset"]) == [("/news/images/lead-300w.avif", 300),
                                                       ("/news/images/lead-2000w.avif", 2000)]
    with Image.open(out / "images/lead-2000w.avif") as image:
        assert image.format == "AVIF" and image.size == (2000, 1333)


def test_images_false_publishes_the_files_as_they_are(tmp_path: Path, run_cli) -> None:
    site = photo_site(tmp_path / "site", CONFIG + "images: false\n")
    out = build(run_cli, site)
    assert (out / "images/lead.jpg").read_bytes() == (site / "static/images/lead.jpg").read_bytes()
    assert not list((out / "images").glob("*-480w.*")) and not list((out / "images").glob("*-card*"))
    lead = page_images(out / "world/harbour/index.html").images[0]
    assert lead == {"src": "/news/images/lead.jpg", "alt": "The harbour at dawn"}


def test_the_social_card_is_a_crop_at_the_focal_point(tmp_path: Path, run_cli) -> None:
    # A tall picture: red at the top, blue at the bottom. The card is a 1200×630 band of it around the focus.
    tall = Image.new("RGB", (1000, 2000), (0, 0, 255))
    tall.paste((255, 0, 0), (0, 0, 1000, 500))
    data = io.BytesIO()
    tall.save(data, "JPEG", quality=95)
    lead = "image: images/tall.jpg\nimage_alt: Tall\nimage_credit: Ana"
    site = good_site(tmp_path / "site", {
        "static/images/tall.jpg": data.getvalue(),
        "content/world/top.md": article(f"title: Top\n{DATE}\n{lead}\nimage_focus: '0.5,0.1'"),
        "content/world/centre.md": article(f"title: Centre\n{DATE}\n{lead}")}, config=CONFIG)
    out = build(run_cli, site)
    with Image.open(out / "images/tall-card-50-10.jpg") as top, Image.open(out / "images/tall-card.jpg") as centre:
        assert top.size == centre.size == (1200, 630)
        red, _, blue = top.convert("RGB").getpixel((600, 315))
        assert red > 200 and blue < 60
        red, _, blue = centre.convert("RGB").getpixel((600, 315))
        assert blue > 200 and red < 60
    page = (out / "world/top/index.html").read_text(encoding="utf-8")
    assert '<meta property="og:image" content="https://example.org/news/images/tall-card-50-10.jpg">' in page
    assert '<meta name="twitter:image" content="https://example.org/news/images/tall-card-50-10.jpg">' in page
    graph = json.loads(page.split('<script type="application/ld+json">')[1].split("</script>")[0])["@graph"]
    assert graph[0]["image"] == [{"@type": "ImageObject", "url": "https://example.org/news/images/tall-card-50-10.jpg",
                                  "contentUrl": "https://example.org/news/images/tall.jpg", "width": 1200,
                                  "height": 630, "creditText": "Ana"}]


def test_feeds_carry_the_lead_image(tmp_path: Path, run_cli) -> None:
    out = build(run_cli, photo_site(tmp_path / "site"))
    card = "https://example.org/news/images/lead-card.jpg"
    rss = etree.parse(str(out / "rss.xml"))
    media = rss.findall(".//item/{http://search.yahoo.com/mrss/}content")
    assert [(m.get("url"), m.get("type"), m.get("medium"), m.get("width"), m.get("height")) for m in media] == [
        (card, "image/jpeg", "image", "1200", "630")]
    atom = etree.parse(str(out / "feed.xml"))
    links = atom.findall(".//{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}link[@rel='enclosure']")
    assert [(link.get("href"), link.get("type")) for link in links] == [(card, "image/jpeg")]
    assert (out / "images/lead-card.jpg").is_file()


def test_bad_images_fail_the_build_each_named_and_the_rest_still_checked(tmp_path: Path, run_cli) -> None:
    site = photo_site(tmp_path / "site")
    before = read_tree(build(run_cli, site))
    write_tree(site, {
        "static/images/damaged.jpg": b"\xff\xd8\xff\xe0 this is not a photograph",
        "static/images/cut.png": truncated(photo(400, 300, "PNG")),
        "static/images/bomb.png": decompression_bomb(),
        "static/images/lead.jpg": truncated(photo(2000, 1333)),
        "content/world/broken.md": "---\ntitle: [unclosed\n---\n",
    })
    result = run_cli("build", "--site", str(site))
    assert result.status == 1 and "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if line.startswith(("static/", "content/"))]
    assert [line.split(":")[0] for line in lines] == ["content/world/broken.md", "static/images/bomb.png",
                                                      "static/images/cut.png", "static/images/damaged.jpg",
                                                      "static/images/lead.jpg"]
    assert "too large to decode safely" in lines[1] and "decompression bomb" in lines[1]
    assert "truncated" in lines[2] and "truncated" in lines[4]
    assert "damaged" in lines[3]
    assert read_tree(site / "public") == before


def test_an_unchanged_image_is_never_processed_twice(tmp_path: Path, run_cli) -> None:
    site = photo_site(tmp_path / "site")
    out = build(run_cli, site)
    cache = site / ".broadsheet-cache" / "images"

    def records() -> dict[str, tuple[int, int]]:  # (not the index of the files' hashes: see images._digests)
        return {path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in cache.iterdir()
                if path.name != "index.json"}

    kept = records()
    first = read_tree(out)
    # A cold build (no output) with the cache kept: every image comes from the cache, as it was.
    for path in sorted(out.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    out.rmdir()
    assert read_tree(build(run_cli, site)) == first
    assert records() == kept
    # A changed image is processed again (and only it); the old one's record goes.
    write_tree(site, {"static/images/cranes.png": photo(600, 400, "PNG")})
    again = read_tree(build(run_cli, site))
    now = records()
    assert len(set(now.items()) - set(kept.items())) == 1 and len(now) == len(kept)  # the new record, the old gone
    assert again["images/cranes-480w.png"] != first["images/cranes-480w.png"]
    assert b'width="600" height="400"' in again["world/harbour/index.html"]


def test_processed_images_are_byte_identical_across_builds(tmp_path: Path, run_cli) -> None:
    site = photo_site(tmp_path / "site", CONFIG + "images:\n  formats: [webp, avif]\n")
    build(run_cli, site, "--no-cache", "--output", str(tmp_path / "one"))
    build(run_cli, site, "--no-cache", "--output", str(tmp_path / "two"))
    one, two = read_tree(tmp_path / "one"), read_tree(tmp_path / "two")
    assert one == two and any(path.endswith(".avif") for path in one)


def test_bad_settings_and_focal_points_are_reported(tmp_path: Path, run_cli) -> None:
    site = photo_site(tmp_path / "site", CONFIG + "images:\n  widths: [0]\n  formats: [gif]\n  qualty: 5\n")
    result = run_cli("build", "--site", str(site))
    assert result.status == 1
    expected = ["site.yaml:3: unknown key 'images.qualty' (did you mean 'images.quality'?)",
                "site.yaml:3: 'images.widths' must be a list of widths in pixels (16 to 10000), not [0]",
                "site.yaml:3: 'images.formats' must be a list of webp and avif, not ['gif']"]
    got = [line for line in result.err.splitlines() if line.startswith("site.yaml")]
    assert len(got) == len(expected) and all(line.startswith(start) for line, start in zip(got, expected, strict=True))
    site = photo_site(tmp_path / "other", **{"content/world/x.md": article(
        f"title: X\n{DATE}\nimage: images/lead.jpg\nimage_alt: A\nimage_focus: 'middle'")})
    result = run_cli("build", "--site", str(site))
    assert result.status == 1
    assert "content/world/x.md:6: image_focus 'middle' is not two fractions of the width and height" in result.err


def test_stripping_is_lossless_for_each_format() -> None:
    for fmt in ("JPEG", "PNG", "WEBP"):
        data = photo(64, 48, fmt, exif=camera_exif())
        clean = strip_metadata(data, fmt.lower())
        assert secrets_in(clean) == [], fmt
        with Image.open(io.BytesIO(data)) as before, Image.open(io.BytesIO(clean)) as after:
            assert before.tobytes() == after.tobytes(), fmt


def test_the_same_photo_at_two_paths_and_a_relative_src(tmp_path: Path, run_cli) -> None:
    same = photo(600, 400)
    body = "![First](/images/a.jpg)\n\n![Second, relative to the page](../../images/b.jpg)\n"
    site = good_site(tmp_path / "site", {"static/images/a.jpg": same, "static/images/b.jpg": same,
                                         "content/world/two.md": article(f"title: Two\n{DATE}", body)},
                     config=CONFIG)
    out = build(run_cli, site)
    first, second = page_images(out / "world/two/index.html").images
    assert candidates(first["srcset"]) == [("/news/images/a-480w.jpg", 480), ("/news/images/a-600w.jpg", 600)]
    assert candidates(second["srcset"]) == [("/news/images/b-480w.jpg", 480), ("/news/images/b-600w.jpg", 600)]
    assert (out / "images/a-480w.webp").read_bytes() == (out / "images/b-480w.webp").read_bytes()


def test_a_page_bundles_photos_and_the_figure_shortcode_are_processed(tmp_path: Path, run_cli) -> None:
    body = ("![Cranes over the quay](cranes.png)\n\n"
            '{{< figure src="/images/quay.jpg" alt="The quay at dawn" caption="The quay" credit="AP" >}}\n')
    site = good_site(tmp_path / "site", {
        "content/world/harbour/index.md": article(f"title: Harbour\n{DATE}\nimage: cover.jpg\nimage_alt: The cover",
                                                  body),
        "content/world/harbour/cover.jpg": photo(1200, 800, exif=camera_exif()),
        "content/world/harbour/cranes.png": photo(600, 400, "PNG", exif=camera_exif()),
        "static/images/quay.jpg": photo(900, 600, exif=camera_exif())}, config=CONFIG)
    out = build(run_cli, site)
    by_alt = {image["alt"]: image for image in page_images(out / "world/harbour/index.html").images}
    cover, cranes, quay = by_alt["The cover"], by_alt["Cranes over the quay"], by_alt["The quay at dawn"]
    assert candidates(cover["srcset"])[-1] == ("/news/world/harbour/cover-1200w.jpg", 1200)
    assert (cover["width"], cover["height"]) == ("1200", "800")
    assert candidates(cranes["srcset"]) == [("/news/world/harbour/cranes-480w.png", 480),
                                            ("/news/world/harbour/cranes-600w.png", 600)]
    assert (quay["width"], quay["height"], quay["loading"]) == ("900", "600", "lazy")
    assert candidates(quay["srcset"])[-1] == ("/news/images/quay-900w.jpg", 900)
    assert (out / "world/harbour/cover-card.jpg").is_file()
    for path, data in read_tree(out).items():
        if path.endswith((".jpg", ".png", ".webp")):
            assert secrets_in(data) == [], path
