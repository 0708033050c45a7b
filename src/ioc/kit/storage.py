"""Files under the data directory, and the pipeline every uploaded photo goes through.

Uploaded photos are untrusted twice over: the bytes may be crafted to exhaust memory or to hit a
decoder bug, and a genuine phone photo carries the sender's GPS position, device and time in its
metadata. So a photo is size-checked before decoding, decoded only by the decoder its magic bytes
name, pixel-checked before its pixels are loaded, and re-encoded from bare pixels so that no
metadata of the original survives.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps

from ioc.errors import NotFound, ValidationFailed

try:
    from PIL import ImageCms

    _SRGB: ImageCms.ImageCmsProfile | None = ImageCms.ImageCmsProfile(
        ImageCms.createProfile("sRGB")
    )
except ImportError:  # Pillow built without LittleCMS: colours are kept as they are
    _SRGB = None

__all__ = [
    "ALLOWED_PHOTO_FORMATS",
    "FileStore",
    "ProcessedPhoto",
    "StoredFile",
    "StoredPhoto",
    "process_photo",
    "store_photo",
]

# --- file store -----------------------------------------------------------------------------

# A key is a relative path of plain segments. No segment may start with a dot, which rules out
# "." and ".." as well as the store's own temporary files; no "\", ":", "~" or NUL either.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}){0,7}")
_SUFFIX = re.compile(r"(?:\.[a-z0-9]{1,10})?")


@dataclass(frozen=True, slots=True)
class StoredFile:
    key: str
    path: Path
    size: int
    sha256: str


class FileStore:
    """Files under ``base_dir``, addressed by keys that the store itself generates.

    Keys look like ``2025/03/14/<32 hex digits>.jpg``: the date keeps directories small and makes
    retention sweeps easy; the random part means no byte of a key comes from the user. Keys are
    deliberately not content hashes: two people may upload the same photo, and deleting one
    record's file must never remove the other's."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.base_dir.mkdir(parents=True, exist_ok=True)

    def save(self, data: bytes, *, suffix: str) -> StoredFile:
        """Write ``data`` under a new key; readers see either nothing or the complete file.

        ``suffix`` (".jpg", or "" for none) must come from code, never from an upload's name."""
        if not _SUFFIX.fullmatch(suffix):
            raise ValueError(f"suffix must be '' or like '.jpg', got {suffix!r}")
        key = f"{datetime.now(UTC):%Y/%m/%d}/{uuid.uuid4().hex}{suffix}"
        target = self.base_dir / key
        target.parent.mkdir(parents=True, exist_ok=True)
        # The temporary file sits in the target's directory so that os.replace is a rename
        # within one file system, which POSIX makes atomic.
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            # Readable by the group so a front web server may serve it; never by the world,
            # since stored photos can show people and places.
            os.chmod(tmp_name, 0o640)
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(target.parent)
        return StoredFile(
            key=key, path=target, size=len(data), sha256=hashlib.sha256(data).hexdigest()
        )

    def path(self, key: str) -> Path:
        """The file's location, for handing to a file response. ``NotFound`` if it is absent."""
        path = self._resolve(key)
        if not path.is_file():
            raise NotFound("The file was not found.")
        return path

    def open(self, key: str) -> BinaryIO:
        try:
            return self._resolve(key).open("rb")
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise NotFound("The file was not found.") from exc

    def read(self, key: str) -> bytes:
        with self.open(key) as fh:
            return fh.read()

    def exists(self, key: str) -> bool:
        try:
            return self._resolve(key).is_file()
        except NotFound:
            return False

    def delete(self, key: str) -> bool:
        """Remove the file; returns False if it was already gone, so retries are harmless."""
        try:
            self._resolve(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def _resolve(self, key: str) -> Path:
        # Keys may arrive from URLs. One that save() could not have produced names no stored
        # file, so it is reported as not found rather than explained.
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise NotFound("The file was not found.")
        path = (self.base_dir / key).resolve()
        # Belt and braces for symlinks planted inside the store.
        if not path.is_relative_to(self.base_dir):
            raise NotFound("The file was not found.")
        return path


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable: after a crash the database may already point at this key."""
    with contextlib.suppress(OSError):  # not possible on every platform; best effort
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- photos ---------------------------------------------------------------------------------

# Magic bytes → Pillow decoder name. Only these decoders ever see an upload: Pillow would
# otherwise try all of its ~40 formats, including rarely used parsers (and EPS, which runs
# Ghostscript).
ALLOWED_PHOTO_FORMATS: dict[str, str] = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
_ALLOWED_LABEL = ", ".join(ALLOWED_PHOTO_FORMATS.values())
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}

_JPEG_QUALITY = 85
_THUMB_QUALITY = 80
_WHITE = (255, 255, 255)


@dataclass(frozen=True, slots=True)
class ProcessedPhoto:
    image_bytes: bytes
    thumb_bytes: bytes
    width: int
    height: int
    original_format: str  # "JPEG", "PNG" or "WEBP", as sniffed from the upload
    content_type: str = "image/jpeg"
    suffix: str = ".jpg"


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    key: str
    thumb_key: str
    width: int
    height: int
    size: int  # of the stored image, not of the upload
    sha256: str  # likewise; re-encoding is deterministic, so equal uploads give equal hashes
    content_type: str = "image/jpeg"


def process_photo(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    max_side: int = 2048,
    thumb_side: int = 320,
    field: str = "photo",
) -> ProcessedPhoto:
    """Validate an uploaded photo and return clean JPEG bytes for it and for its thumbnail.

    The output is upright (EXIF orientation applied), in sRGB, at most ``max_side`` pixels on
    its longer side, with transparency flattened onto white, and carries no metadata at all.
    Every way the input can be wrong raises ``ValidationFailed`` on ``field``."""
    if not data:
        raise ValidationFailed("The photo file is empty.", field=field)
    if len(data) > max_bytes:
        raise ValidationFailed(
            "The photo is larger than {max_mb} MB.", field=field, max_mb=_megabytes(max_bytes)
        )
    source_format = _sniff(data)
    if source_format not in ALLOWED_PHOTO_FORMATS:
        if source_format is None:
            raise ValidationFailed(
                "This file is not a photo in an allowed format ({allowed}).",
                field=field,
                allowed=_ALLOWED_LABEL,
            )
        raise ValidationFailed(
            "{detected} photos are not supported. Allowed formats: {allowed}.",
            field=field,
            detected=source_format,
            allowed=_ALLOWED_LABEL,
        )

    try:
        # Opening reads only the header. Pillow's own bomb guard may already fire here (a
        # warning past its global limit, an error past twice that); the answer is the same.
        # Ours, just below, applies the configured limit. Pillow's global limit is left alone
        # because changing it would affect every thread.
        image = Image.open(io.BytesIO(data), formats=[source_format])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(field, max_pixels) from None
    except Exception as exc:
        raise _unreadable(field) from exc
    if image.width * image.height > max_pixels:
        image.close()
        raise _too_many_pixels(field, max_pixels)

    try:
        photo, thumb = _clean_pixels(image, max_side=max_side, thumb_side=thumb_side)
        image_bytes = _encode_jpeg(photo, quality=_JPEG_QUALITY)
        thumb_bytes = _encode_jpeg(thumb, quality=_THUMB_QUALITY)
    # Decoders of untrusted data fail in many ways (OSError for truncation, but also
    # ValueError, SyntaxError, struct.error, IndexError ...). Each of them means the upload is
    # unusable, which is the sender's problem to fix, not a server error.
    except Exception as exc:
        raise _unreadable(field) from exc
    finally:
        image.close()
    return ProcessedPhoto(
        image_bytes=image_bytes,
        thumb_bytes=thumb_bytes,
        width=photo.width,
        height=photo.height,
        original_format=source_format,
    )


def store_photo(
    store: FileStore,
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    max_side: int = 2048,
    thumb_side: int = 320,
    field: str = "photo",
) -> StoredPhoto:
    """Process an upload and save the photo and its thumbnail; both are saved or neither."""
    processed = process_photo(
        data,
        max_bytes=max_bytes,
        max_pixels=max_pixels,
        max_side=max_side,
        thumb_side=thumb_side,
        field=field,
    )
    image = store.save(processed.image_bytes, suffix=processed.suffix)
    try:
        thumb = store.save(processed.thumb_bytes, suffix=processed.suffix)
    except BaseException:
        store.delete(image.key)
        raise
    return StoredPhoto(
        key=image.key,
        thumb_key=thumb.key,
        width=processed.width,
        height=processed.height,
        size=image.size,
        sha256=image.sha256,
        content_type=processed.content_type,
    )


def _sniff(data: bytes) -> str | None:
    """Name the format by its magic bytes, including formats we refuse, for a clear message."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "AVIF"
        if brand in _HEIF_BRANDS:
            return "HEIC"
        return None  # other ISO media files are videos
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if data[:2] == b"BM":
        return "BMP"
    return None


def _clean_pixels(
    image: Image.Image, *, max_side: int, thumb_side: int
) -> tuple[Image.Image, Image.Image]:
    """Decode, orient, convert to sRGB and scale; returns (photo, thumbnail) with no metadata."""
    icc_profile = image.info.get("icc_profile")
    if image.format in ("JPEG", "MPO"):
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the result is still big enough:
        # a large photo then never occupies its full size in memory.
        image.draft(None, (max_side, max_side))
    image.load()  # truncated or corrupt pixel data fails here

    # A malformed EXIF block must not cost the sender their photo: the pixels are fine, only
    # their orientation is unknown.
    with contextlib.suppress(Exception):
        image = ImageOps.exif_transpose(image)

    image = _to_rgb(image, icc_profile)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # Rebuild the image from its raw pixels. Pillow copies ``info`` (EXIF, XMP, ICC, text
    # chunks, comments) from image to image and some encoders write parts of it back; a new
    # image made from bytes has nothing to copy.
    photo = Image.frombytes("RGB", image.size, image.tobytes())
    thumb = photo.copy()
    thumb.thumbnail((thumb_side, thumb_side), Image.Resampling.LANCZOS)
    return photo, thumb


def _to_rgb(image: Image.Image, icc_profile: object) -> Image.Image:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        # 16-bit greyscale PNG: convert("RGB") would clip every value above 255 to white.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        # JPEG has no alpha; flatten onto white, as the photo would look on a page.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*_WHITE, 255))
        image = Image.alpha_composite(background, rgba).convert("RGB")
    return _to_srgb(image, icc_profile).convert("RGB")


def _to_srgb(image: Image.Image, icc_profile: object) -> Image.Image:
    """Bake the embedded colour profile into the pixels before it is dropped with the rest of
    the metadata: phone cameras often shoot Display P3, which looks washed out read as sRGB."""
    if not isinstance(icc_profile, bytes) or not icc_profile or _SRGB is None:
        return image
    if image.mode not in ("RGB", "CMYK"):
        return image
    # A broken or mismatched profile is ignored: the pixels are still usable as they are.
    with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        if converted is not None:
            return converted
    return image


def _encode_jpeg(image: Image.Image, *, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def _unreadable(field: str) -> ValidationFailed:
    return ValidationFailed(
        "The photo could not be read. The file may be damaged or incomplete.", field=field
    )


def _too_many_pixels(field: str, max_pixels: int) -> ValidationFailed:
    return ValidationFailed(
        "The photo has too many pixels (at most {max_megapixels} megapixels).",
        field=field,
        max_megapixels=round(max_pixels / 1_000_000, 1),
    )


def _megabytes(n_bytes: int) -> int | float:
    megabytes = round(n_bytes / (1024 * 1024), 1)
    return int(megabytes) if megabytes.is_integer() else megabytes
