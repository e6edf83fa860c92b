"""Real image files for tests, made with Pillow: photographs with camera data, damaged and oversized files."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image

CAMERA_MAKE, CAMERA_MODEL, OWNER = "Examplecam", "Examplecam X100 Secret", "Jane Q. Photographer"
XMP_SECRET = b"xmp-location-secret"


def camera_exif(orientation: int = 1) -> Image.Exif:
    """Exif as a camera writes it: make, model, owner, and a GPS position."""
    exif = Image.Exif()
    exif[0x010F] = CAMERA_MAKE
    exif[0x0110] = CAMERA_MODEL
    exif[0x013B] = OWNER  # Artist
    exif[0xA430] = OWNER  # CameraOwnerName (in the main IFD here: found as bytes all the same)
    exif[0x0112] = orientation
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    return exif


def photo(width: int = 1200, height: int = 800, fmt: str = "JPEG", exif: Image.Exif | None = None,
          mode: str = "RGB") -> bytes:
    """A photograph-like image (a gradient with detail) in `fmt`, with Exif and XMP when given `exif`."""
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                Image.effect_noise((width, height), 40))).convert(mode)
    out = io.BytesIO()
    options: dict[str, object] = {}
    if exif is not None:
        options["exif"] = exif
        options["xmp"] = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + XMP_SECRET + b"</x:xmpmeta>"
    if fmt == "PNG" and exif is not None:
        options["pnginfo"] = _png_text()
    image.save(out, fmt, **options)
    return out.getvalue()


def _png_text() -> object:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", OWNER)
    info.add_itxt("XML:com.adobe.xmp", XMP_SECRET.decode())
    return info


def secrets_in(data: bytes) -> list[str]:
    """The camera data found in a file's bytes (Exif is stored as plain ASCII)."""
    found = [text for text in (CAMERA_MAKE, CAMERA_MODEL, OWNER) if text.encode() in data]
    if XMP_SECRET in data:
        found.append("XMP")
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    if exif.get_ifd(ExifTags.IFD.GPSInfo) or any(tag in exif for tag in (0x010F, 0x0110, 0x013B)):
        found.append("Exif")
    return found


def truncated(data: bytes) -> bytes:
    """The first half of an image file: what an interrupted upload leaves."""
    return data[: len(data) // 2]


def decompression_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A small PNG that claims more pixels than Pillow decodes by default (a decompression bomb). Pillow refuses it
    by its header, so only its first rows are written: the file stays small and quick to make."""
    row = b"\0" + b"\0" * width  # filter byte, then grey pixels
    raw = zlib.compress(row * 8, 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
