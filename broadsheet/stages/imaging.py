"""Pillow's part of the image stage: one image's bytes in, its published files' bytes out.

Imported only where an image is processed (a worker, or the build's own process for a few images): a site without
images never loads Pillow. Every function here is pure: the same bytes and settings give the same bytes, so the
results can be kept in the cache by those (see images.py).
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from broadsheet.stages.config import Images

CARD_SIZE = (1200, 630)  # the social card: Open Graph's and Twitter's large image
_ORIENTATION = 0x0112
_SAVE_FORMAT = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "avif": "AVIF"}
# JPEG segments kept: APP0 only as JFIF, APP2 only as an ICC profile, APP14 only as Adobe's colour transform; the
# other APPn (Exif, XMP, IPTC, MPF's appended images, makers' notes) and comments are dropped.
_KEPT_APP = {0xE0: (b"JFIF\0",), 0xE2: (b"ICC_PROFILE\0",), 0xEE: (b"Adobe",)}
# PNG chunks dropped: Exif, text (XMP lives in iTXt), the time of the last change, C2PA manifests.
_DROPPED_PNG = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME", b"caBX"}
_DROPPED_WEBP = {b"EXIF", b"XMP "}


class ImageProblem(ValueError):
    """An image that cannot be published: damaged, truncated, too large, or not what its name says."""


@dataclass(frozen=True, slots=True)
class Processed:
    """An image as published: the file at its own path (camera data removed), its size once turned upright, and
    its smaller copies as (width, height, format, bytes)."""

    original: bytes
    width: int
    height: int
    variants: tuple[tuple[int, int, str, bytes], ...]


def open_image(data: bytes, kind: str) -> Image.Image:
    """The decoded image, all of its pixels read; an ImageProblem if it is damaged, truncated, larger than Pillow's
    pixel limit (a decompression bomb), or of another format than `kind` (jpeg, png, webp)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[_SAVE_FORMAT[kind]])
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageProblem(f"is too large to decode safely (more than {Image.MAX_IMAGE_PIXELS:,} pixels): "
                           "a decompression bomb or a huge scan") from None
    except UnidentifiedImageError:
        raise ImageProblem(f"is not a {kind.upper()} image Pillow can read (damaged, or another format under "
                           "this name)") from None
    except (OSError, ValueError, SyntaxError, struct.error, EOFError) as error:
        raise ImageProblem(f"is damaged or truncated ({error})") from None
    return image


def process(data: bytes, kind: str, settings: Images) -> Processed:
    """Decode an image (see open_image), remove its camera data and make its copies at `settings.widths` (never
    wider than the image) in its own format and in `settings.formats`."""
    image = open_image(data, kind)
    orientation = image.getexif().get(_ORIENTATION, 1)
    animated = getattr(image, "is_animated", False)
    upright = image if animated else ImageOps.exif_transpose(image)
    width, height = upright.size
    if orientation in (None, 1) or animated:
        original = strip_metadata(data, kind)
    else:  # turned upright: the one case where the pixels are encoded again (losslessly for PNG and lossless WebP)
        lossless = kind == "png" or (kind == "webp" and b"VP8L" in data[12:64])
        original = encode(upright, kind, 95 if kind == "jpeg" else 100, lossless=lossless)
    if animated:
        return Processed(original, width, height, ())
    variants = []
    larger = upright
    # Widest first, each copy made from the one before it: a third of the work of making each from the original.
    for target in reversed(variant_widths(width, settings.widths)):
        resized = larger if target == larger.width else larger.resize(
            (target, max(1, round(height * target / width))), Image.Resampling.LANCZOS, reducing_gap=3.0)
        for fmt in (kind, *(f for f in settings.formats if f != kind)):
            variants.append((resized.width, resized.height, fmt, encode(resized, fmt, settings.quality)))
        larger = resized
    return Processed(original, width, height, tuple(sorted(variants, key=lambda v: (v[0], v[2] != kind))))


def variant_widths(width: int, widths: tuple[int, ...]) -> list[int]:
    """The widths of an image's copies: the configured ones narrower than it, and its own width where it is not
    wider than the largest configured (with 480, 720, 1100 and 1600, a photo 1200 px wide gets 480, 720, 1100 and
    1200)."""
    chosen = [w for w in sorted(widths) if w < width]
    if width <= max(widths):
        chosen.append(width)
    return chosen


def social_card(data: bytes, kind: str, focus: tuple[float, float], quality: int) -> bytes:
    """A 1200×630 JPEG of the image, cropped around `focus` (fractions of its width and height)."""
    image = ImageOps.exif_transpose(open_image(data, kind))
    width, height = image.size
    ratio = CARD_SIZE[0] / CARD_SIZE[1]
    crop_w, crop_h = (height * ratio, height) if width / height > ratio else (width, width / ratio)
    left = min(max(focus[0] * width - crop_w / 2, 0), width - crop_w)
    top = min(max(focus[1] * height - crop_h / 2, 0), height - crop_h)
    card = image.resize(CARD_SIZE, Image.Resampling.LANCZOS, box=(left, top, left + crop_w, top + crop_h),
                        reducing_gap=3.0)
    return encode(card, "jpeg", quality)


def encode(image: Image.Image, fmt: str, quality: int, lossless: bool = False) -> bytes:
    """The image in `fmt`, with its colour profile and nothing else of its metadata."""
    icc = image.info.get("icc_profile")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    options: dict[str, object] = {}
    if fmt == "jpeg":
        image = _flattened(image) if has_alpha else image.convert("RGB") if image.mode not in ("RGB", "L") else image
        options = {"quality": quality, "optimize": True, "progressive": True}
    elif fmt == "png":
        image = image if image.mode in ("RGB", "RGBA", "L", "LA", "P", "1", "I;16") else image.convert("RGBA")
    else:
        image = image.convert("RGBA" if has_alpha else "RGB") if image.mode not in ("RGB", "RGBA") else image
        options = {"lossless": True} if lossless else {"quality": quality}
        if fmt == "webp":
            options["method"] = 4
        else:
            options["speed"] = 6
    clean = image.copy()
    clean.info = {}  # (Pillow writes some of what `info` holds, Exif and XMP among them, into some formats)
    if icc:
        options["icc_profile"] = icc
    out = io.BytesIO()
    clean.save(out, _SAVE_FORMAT[fmt], **options)
    return out.getvalue()


def _flattened(image: Image.Image) -> Image.Image:
    """A transparent image on white, for JPEG."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    background.info = dict(image.info)
    return background


def strip_metadata(data: bytes, kind: str) -> bytes:
    """The file without its Exif, XMP, IPTC and text metadata, its image data untouched."""
    if kind == "jpeg":
        return _strip_jpeg(data)
    if kind == "png":
        return _strip_png(data)
    return _strip_webp(data)


def _strip_jpeg(data: bytes) -> bytes:
    """JPEG segments but the kept ones (see _KEPT_APP), up to the end of the first image: files from phones append
    more images after it (depth maps, MPF), with camera data of their own."""
    if data[:2] != b"\xff\xd8":
        raise ImageProblem("is not a JPEG file")
    out = [b"\xff\xd8"]
    i, size = 2, len(data)
    in_scan = False
    while i < size:
        if in_scan:  # entropy-coded data: up to the next marker that is not a stuffed 0xFF or a restart
            start = i
            while True:
                i = data.find(b"\xff", i)
                if i < 0 or i + 1 >= size:
                    raise ImageProblem("is truncated (its image data has no end)")
                following = data[i + 1]
                if following == 0 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    i += 1 if following == 0xFF else 2
                    continue
                break
            out.append(data[start:i])
            in_scan = False
            continue
        if data[i] != 0xFF or i + 1 >= size:
            raise ImageProblem("is damaged (a JPEG segment does not start where one should)")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:
            out.append(b"\xff\xd9")
            return b"".join(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.append(data[i:i + 2])
            i += 2
            continue
        if i + 4 > size:
            raise ImageProblem("is truncated")
        length = int.from_bytes(data[i + 2:i + 4], "big")
        segment = data[i:i + 2 + length]
        if len(segment) < 2 + length or length < 2:
            raise ImageProblem("is truncated")
        if _kept_segment(marker, segment):
            out.append(segment)
        i += 2 + length
        in_scan = marker == 0xDA
    raise ImageProblem("is truncated (no end-of-image marker)")


def _kept_segment(marker: int, segment: bytes) -> bool:
    """Whether a JPEG segment is published: not a comment, and of the APPn segments only those in _KEPT_APP."""
    if marker == 0xFE:
        return False
    return not 0xE0 <= marker <= 0xEF or segment[4:].startswith(_KEPT_APP.get(marker, ()))


def _strip_png(data: bytes) -> bytes:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ImageProblem("is not a PNG file")
    out, i = [data[:8]], 8
    while i + 8 <= len(data):
        length = int.from_bytes(data[i:i + 4], "big")
        kind = data[i + 4:i + 8]
        end = i + 12 + length
        if end > len(data):
            raise ImageProblem("is truncated")
        if kind not in _DROPPED_PNG:
            out.append(data[i:end])
        i = end
        if kind == b"IEND":
            return b"".join(out)
    raise ImageProblem("is truncated (no IEND chunk)")


def _strip_webp(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ImageProblem("is not a WebP file")
    chunks, i = [], 12
    end = min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    while i + 8 <= end:
        fourcc = data[i:i + 4]
        length = int.from_bytes(data[i + 4:i + 8], "little")
        stop = i + 8 + length + (length & 1)
        if i + 8 + length > end:
            raise ImageProblem("is truncated")
        chunk = data[i:stop]
        if fourcc == b"VP8X" and length >= 1:
            chunk = chunk[:8] + bytes([chunk[8] & ~0x0C & 0xFF]) + chunk[9:]  # Exif and XMP flags cleared
        if fourcc not in _DROPPED_WEBP:
            chunks.append(chunk)
        i = stop
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + len(body).to_bytes(4, "little") + body
