import hashlib
import io
import re
import struct
import zlib
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image, ImageCms, TiffImagePlugin

from ioc.errors import NotFound, ValidationFailed
from ioc.kit import storage
from ioc.kit.storage import FileStore, process_photo, store_photo

MB = 1024 * 1024
LIMITS = {"max_bytes": 10 * MB, "max_pixels": 40_000_000}
RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)
GPS_LATITUDE = ((21, 1), (35, 1), (3456, 100))
GPS_LONGITUDE = ((105, 1), (50, 1), (4021, 100))
ORIENTATION, MAKE, GPS_IFD = 0x0112, 0x010F, 0x8825


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def make_image(size: tuple[int, int] = (60, 40)) -> Image.Image:
    """Left half red, right half blue, so a rotation can be seen in the pixels."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def rational_bytes(values: tuple[tuple[int, int], ...]) -> bytes:
    """The GPS value as EXIF stores it (big-endian, fractions reduced, as Pillow writes it)."""
    fractions = [Fraction(n, d) for n, d in values]
    return b"".join(struct.pack(">LL", f.numerator, f.denominator) for f in fractions)


def make_phone_jpeg(*, icc: bool = True) -> bytes:
    """A JPEG with what a phone writes: orientation 6, camera make, GPS, XMP, ICC, comment."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # stored sideways: display needs a 90° clockwise turn
    exif[MAKE] = "SecretCam"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = tuple(TiffImagePlugin.IFDRational(n, d) for n, d in GPS_LATITUDE)
    gps[3] = "E"
    gps[4] = tuple(TiffImagePlugin.IFDRational(n, d) for n, d in GPS_LONGITUDE)
    extra = {}
    if icc:
        extra["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(
        make_image(),
        "JPEG",
        quality=95,
        exif=exif,
        comment=b"secret-comment",
        xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>secret-xmp</x:xmpmeta>",
        **extra,
    )


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims the given dimensions but holds no pixel data at all."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def near(pixel: object, colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def message_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> str:
    [error] = exc.value.errors
    assert error.field == "photo"
    message: str = error.message
    return message


# --- process_photo ------------------------------------------------------------------------------


@pytest.mark.parametrize("icc", [True, False])
def test_phone_jpeg_fixture_really_carries_the_metadata(icc: bool) -> None:
    # Guards the test below: stripping can only be proven on input that has something to strip.
    data = make_phone_jpeg(icc=icc)
    source = Image.open(io.BytesIO(data))
    assert source.getexif()[ORIENTATION] == 6
    assert source.getexif().get_ifd(GPS_IFD)[1] == "N"
    assert {"exif", "comment", "xmp"} <= source.info.keys()
    assert ("icc_profile" in source.info) == icc
    assert b"Exif" in data
    assert rational_bytes(GPS_LATITUDE) in data
    assert rational_bytes(GPS_LONGITUDE) in data


# With and without a colour profile, because converting colours happens to drop metadata too.
@pytest.mark.parametrize("icc", [True, False])
def test_process_photo_strips_all_metadata_including_gps(icc: bool) -> None:
    result = process_photo(make_phone_jpeg(icc=icc), **LIMITS)
    for data in (result.image_bytes, result.thumb_bytes):
        output = Image.open(io.BytesIO(data))
        assert output.format == "JPEG"
        assert len(output.getexif()) == 0
        assert not {"exif", "icc_profile", "comment", "xmp"} & output.info.keys()
        for secret in (b"Exif", b"SecretCam", b"secret-comment", b"secret-xmp", b"ICC_PROFILE"):
            assert secret not in data
        assert rational_bytes(GPS_LATITUDE) not in data
        assert rational_bytes(GPS_LONGITUDE) not in data


def test_process_photo_applies_exif_orientation() -> None:
    result = process_photo(make_phone_jpeg(), **LIMITS)
    assert (result.width, result.height) == (40, 60)
    output = Image.open(io.BytesIO(result.image_bytes))
    assert output.size == (40, 60)
    # Turned clockwise, the stored left (red) half is now on top.
    assert near(output.getpixel((20, 5)), RED)
    assert near(output.getpixel((20, 55)), BLUE)


def test_process_photo_reports_format_and_content_type() -> None:
    result = process_photo(make_phone_jpeg(), **LIMITS)
    assert result.original_format == "JPEG"
    assert result.content_type == "image/jpeg"
    assert result.suffix == ".jpg"


def test_process_photo_scales_down_to_max_side_and_makes_thumbnail() -> None:
    data = encode(make_image((3000, 1000)), "PNG")
    result = process_photo(data, **LIMITS, max_side=1024, thumb_side=200)
    assert (result.width, result.height) == (1024, 341)
    thumb = Image.open(io.BytesIO(result.thumb_bytes))
    assert max(thumb.size) == 200
    assert thumb.size[1] in (66, 67)


def test_process_photo_scales_large_jpeg_with_orientation() -> None:
    # Large JPEGs are decoded at reduced scale; orientation must still be applied afterwards.
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    data = encode(make_image((2400, 1600)), "JPEG", exif=exif)
    result = process_photo(data, **LIMITS, max_side=300, thumb_side=30)
    assert (result.width, result.height) == (200, 300)
    output = Image.open(io.BytesIO(result.image_bytes))
    assert near(output.getpixel((100, 10)), RED)
    assert near(output.getpixel((100, 290)), BLUE)


def test_process_photo_does_not_enlarge_small_photos() -> None:
    result = process_photo(encode(make_image((100, 80)), "PNG"), **LIMITS, thumb_side=320)
    assert (result.width, result.height) == (100, 80)
    assert Image.open(io.BytesIO(result.thumb_bytes)).size == (100, 80)


def test_process_photo_accepts_webp() -> None:
    result = process_photo(encode(make_image(), "WEBP"), **LIMITS)
    assert result.original_format == "WEBP"
    assert (result.width, result.height) == (60, 40)


def test_process_photo_flattens_png_transparency_onto_white() -> None:
    image = Image.new("RGBA", (60, 40), (*RED, 255))
    image.paste((0, 0, 0, 0), (30, 0, 60, 40))  # right half fully transparent
    result = process_photo(encode(image, "PNG"), **LIMITS)
    output = Image.open(io.BytesIO(result.image_bytes))
    assert output.mode == "RGB"
    assert near(output.getpixel((10, 20)), RED)
    assert near(output.getpixel((50, 20)), WHITE)


def test_process_photo_flattens_palette_png_with_transparent_colour() -> None:
    image = make_image().convert("P", palette=Image.Palette.ADAPTIVE, colors=2)
    transparent_index = image.getpixel((50, 20))
    result = process_photo(encode(image, "PNG", transparency=transparent_index), **LIMITS)
    output = Image.open(io.BytesIO(result.image_bytes))
    assert near(output.getpixel((10, 20)), RED)
    assert near(output.getpixel((50, 20)), WHITE)


def test_process_photo_converts_16_bit_greyscale_without_clipping() -> None:
    image = Image.new("I;16", (20, 20), 0x8000)  # mid grey
    output = Image.open(io.BytesIO(process_photo(encode(image, "PNG"), **LIMITS).image_bytes))
    assert near(output.getpixel((10, 10)), (128, 128, 128), tolerance=4)


def test_process_photo_ignores_a_broken_colour_profile() -> None:
    data = encode(make_image(), "JPEG", icc_profile=b"not really an ICC profile")
    output = Image.open(io.BytesIO(process_photo(data, **LIMITS).image_bytes))
    assert "icc_profile" not in output.info
    assert near(output.getpixel((10, 20)), RED)


def test_process_photo_rejects_oversize_upload_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("an oversize upload must not reach the decoder")

    monkeypatch.setattr(storage.Image, "open", no_decoding)
    data = make_phone_jpeg()
    with pytest.raises(ValidationFailed) as exc:
        process_photo(data, max_bytes=len(data) - 1, max_pixels=40_000_000)
    assert message_of(exc) == "The photo is larger than {max_mb} MB."


def test_process_photo_size_message_states_the_limit_in_megabytes() -> None:
    with pytest.raises(ValidationFailed) as exc:
        process_photo(b"\xff\xd8\xff" + bytes(10 * MB), max_bytes=10 * MB, max_pixels=1000)
    assert exc.value.params == {"max_mb": 10}


def test_process_photo_rejects_real_image_with_too_many_pixels() -> None:
    data = encode(make_image((100, 100)), "PNG")
    with pytest.raises(ValidationFailed) as exc:
        process_photo(data, max_bytes=MB, max_pixels=100 * 100 - 1)
    assert message_of(exc) == "The photo has too many pixels (at most {max_megapixels} megapixels)."


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8000, 6000),  # under Pillow's own limit: only our check stops it
        (10_000, 10_000),  # where Pillow merely warns
        (30_000, 30_000),  # where Pillow raises DecompressionBombError
        (2**31 - 1, 2**31 - 1),
    ],
)
def test_process_photo_rejects_pixel_bomb_from_its_header(width: int, height: int) -> None:
    # The file holds no pixel data, so reaching the decoder would give a different message:
    # this proves the pixel count is checked from the header alone.
    with pytest.raises(ValidationFailed) as exc:
        process_photo(png_header_only(width, height), max_bytes=MB, max_pixels=40_000_000)
    assert message_of(exc) == "The photo has too many pixels (at most {max_megapixels} megapixels)."
    assert exc.value.params == {"max_megapixels": 40.0}


@pytest.mark.parametrize(
    "data",
    [
        b"definitely not a photo" * 10,
        b"%PDF-1.7\n" + bytes(100),
        b"\x00\x00\x00\x18ftypisom" + bytes(100),  # an MP4 video
    ],
)
def test_process_photo_rejects_files_that_are_not_photos(data: bytes) -> None:
    with pytest.raises(ValidationFailed) as exc:
        process_photo(data, **LIMITS)
    assert message_of(exc) == "This file is not a photo in an allowed format ({allowed})."
    assert exc.value.params == {"allowed": "JPEG, PNG, WebP"}


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (b"\x00\x00\x00\x18ftypheic" + bytes(100), "HEIC"),
        (b"\x00\x00\x00\x18ftypmif1" + bytes(100), "HEIC"),
        (b"\x00\x00\x00\x1cftypavif" + bytes(100), "AVIF"),
        (encode(make_image(), "GIF"), "GIF"),
        (encode(make_image(), "TIFF"), "TIFF"),
        (encode(make_image(), "BMP"), "BMP"),
    ],
)
def test_process_photo_names_refused_formats_and_lists_allowed_ones(
    data: bytes, detected: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        process_photo(data, **LIMITS)
    assert message_of(exc) == "{detected} photos are not supported. Allowed formats: {allowed}."
    assert exc.value.params == {"detected": detected, "allowed": "JPEG, PNG, WebP"}


@pytest.mark.parametrize(
    "data",
    [
        make_phone_jpeg()[:300],  # truncated inside the header
        make_phone_jpeg()[: len(make_phone_jpeg()) // 2],  # truncated inside the pixels
        encode(make_image((200, 200)), "PNG")[:-40],
        b"\xff\xd8\xff" + bytes(range(256)) * 4,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(32),
    ],
)
def test_process_photo_rejects_corrupt_data_as_validation_error(data: bytes) -> None:
    with pytest.raises(ValidationFailed) as exc:
        process_photo(data, **LIMITS)
    assert message_of(exc) == "The photo could not be read. The file may be damaged or incomplete."


def test_process_photo_rejects_empty_upload() -> None:
    with pytest.raises(ValidationFailed) as exc:
        process_photo(b"", **LIMITS)
    assert message_of(exc) == "The photo file is empty."


def test_process_photo_reports_errors_on_the_given_field() -> None:
    with pytest.raises(ValidationFailed) as exc:
        process_photo(b"garbage", **LIMITS, field="avatar")
    assert exc.value.errors[0].field == "avatar"


# --- store_photo --------------------------------------------------------------------------------


def test_store_photo_saves_clean_image_and_thumbnail(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    stored = store_photo(store, make_phone_jpeg(), **LIMITS, thumb_side=20)
    image_bytes = store.read(stored.key)
    assert stored.key != stored.thumb_key
    assert (stored.width, stored.height) == (40, 60)
    assert stored.size == len(image_bytes)
    assert stored.sha256 == hashlib.sha256(image_bytes).hexdigest()
    assert b"Exif" not in image_bytes
    assert max(Image.open(store.path(stored.thumb_key)).size) == 20


def test_store_photo_saves_nothing_for_a_rejected_upload(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "files")
    with pytest.raises(ValidationFailed):
        store_photo(store, b"garbage", **LIMITS)
    assert not [p for p in (tmp_path / "files").rglob("*") if p.is_file()]


def test_store_photo_removes_the_photo_when_the_thumbnail_cannot_be_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileStore(tmp_path / "files")
    real_save = store.save
    calls = []

    def save_once(data: bytes, *, suffix: str) -> storage.StoredFile:
        calls.append(data)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_save(data, suffix=suffix)

    monkeypatch.setattr(store, "save", save_once)
    with pytest.raises(OSError, match="disk full"):
        store_photo(store, make_phone_jpeg(), **LIMITS)
    assert not [p for p in (tmp_path / "files").rglob("*") if p.is_file()]


# --- FileStore ----------------------------------------------------------------------------------


def test_file_store_saves_under_a_generated_key(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    stored = store.save(b"hello", suffix=".txt")
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/[0-9a-f]{32}\.txt", stored.key)
    assert stored.path == tmp_path.resolve() / stored.key
    assert stored.size == 5
    assert stored.sha256 == hashlib.sha256(b"hello").hexdigest()
    assert store.read(stored.key) == b"hello"
    with store.open(stored.key) as fh:
        assert fh.read() == b"hello"
    assert store.path(stored.key) == stored.path
    assert store.exists(stored.key)


def test_file_store_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    stored = store.save(b"x", suffix="")
    assert [p.name for p in stored.path.parent.iterdir()] == [stored.path.name]


def test_file_store_cleans_up_when_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(storage.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        FileStore(tmp_path).save(b"x", suffix=".bin")
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_file_store_gives_identical_uploads_separate_files(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    first, second = store.save(b"same", suffix=".jpg"), store.save(b"same", suffix=".jpg")
    assert first.key != second.key
    assert first.sha256 == second.sha256
    assert store.delete(first.key)
    assert store.read(second.key) == b"same"


def test_file_store_delete_is_idempotent(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    stored = store.save(b"x", suffix=".bin")
    assert store.delete(stored.key) is True
    assert store.delete(stored.key) is False
    assert not store.exists(stored.key)
    with pytest.raises(NotFound):
        store.path(stored.key)
    with pytest.raises(NotFound):
        store.open(stored.key)


@pytest.mark.parametrize("suffix", ["jpg", "../x", ".jpg/../../x", ".JPG", ".a b", "./", ".x\x00"])
def test_file_store_refuses_suffixes_that_could_form_a_path(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(ValueError):
        FileStore(tmp_path).save(b"x", suffix=suffix)


@pytest.mark.parametrize(
    "key",
    [
        "../secret.txt",
        "2025/01/01/../../../secret.txt",
        "..",
        ".",
        "",
        "/etc/passwd",
        "SECRET_ABS",  # replaced below by the absolute path of the secret file
        "a//b",
        "a/./b",
        "..\\secret.txt",
        "C:secret.txt",
        "%2e%2e/secret.txt",
        "a/\x00/b",
        ".tmp-abc.part",
        "~/secret.txt",
    ],
)
def test_file_store_rejects_keys_outside_the_store(tmp_path: Path, key: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"secret")
    store = FileStore(tmp_path / "store")
    key = str(secret) if key == "SECRET_ABS" else key
    with pytest.raises(NotFound):
        store.path(key)
    with pytest.raises(NotFound):
        store.read(key)
    with pytest.raises(NotFound):
        store.delete(key)
    assert not store.exists(key)
    assert secret.read_bytes() == b"secret"


def test_file_store_does_not_follow_symlinks_out_of_the_store(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    store = FileStore(tmp_path / "store")
    (tmp_path / "store" / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(NotFound):
        store.read("link/secret.txt")
    with pytest.raises(NotFound):
        store.delete("link/secret.txt")
    assert (outside / "secret.txt").exists()
