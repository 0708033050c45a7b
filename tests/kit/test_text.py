import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ioc.errors import ValidationFailed
from ioc.kit.text import clean_text, fold, nfc, search_key, similarity, slugify, trigrams

# Every Vietnamese letter, each vowel with all six tones, in both cases.
_TONES = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
_VIET_LETTERS = sorted(
    {nfc(v + tone) for v in "aăâeêioôơuưy" for tone in _TONES} | set("bcdđghklmnpqrstvx")
)
_VIET_ALPHABET = _VIET_LETTERS + [c.upper() for c in _VIET_LETTERS]
vietnamese_text = st.tuples(
    st.lists(st.sampled_from([*_VIET_ALPHABET, " ", "  ", "\t", "0", "7", ",", "."])),
    st.sampled_from(["NFC", "NFD"]),
).map(lambda parts: unicodedata.normalize(parts[1], "".join(parts[0])))


def field_error(exc: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str, str]:
    [error] = exc.value.errors
    return error.field, error.message


# --- nfc / clean_text -------------------------------------------------------------------------


def test_nfc_composes_decomposed_vietnamese() -> None:
    decomposed = unicodedata.normalize("NFD", "Tiếng Việt")
    assert decomposed != "Tiếng Việt"
    assert nfc(decomposed) == "Tiếng Việt"


def test_clean_text_returns_nfc_for_decomposed_input() -> None:
    decomposed = unicodedata.normalize("NFD", "Đường ngập nước")
    assert clean_text(decomposed, field="title", max_length=100) == "Đường ngập nước"


def test_clean_text_counts_length_in_characters_after_normalisation() -> None:
    text = "Việt Nam"  # 8 characters; 10 code points when decomposed
    decomposed = unicodedata.normalize("NFD", text)
    assert len(decomposed) > len(text)
    assert clean_text(decomposed, field="title", max_length=8) == text
    with pytest.raises(ValidationFailed) as exc:
        clean_text(decomposed, field="title", max_length=7)
    assert field_error(exc) == ("title", "At most {max} characters.")
    assert exc.value.params["max"] == 7


def test_clean_text_length_is_not_counted_in_bytes() -> None:
    # "ườ" is 3 bytes a letter in UTF-8; the limit is about what the person sees.
    assert clean_text("đường", field="name", max_length=5) == "đường"


@pytest.mark.parametrize("value", [None, "", "   ", "\n\t \u200b \r\n"])
def test_clean_text_rejects_empty_required_value(value: str | None) -> None:
    with pytest.raises(ValidationFailed) as exc:
        clean_text(value, field="description", max_length=100)
    assert field_error(exc) == ("description", "This field is required.")


def test_clean_text_returns_empty_string_for_empty_optional_value() -> None:
    assert clean_text("  \n ", field="note", max_length=10, required=False) == ""
    assert clean_text(None, field="note", max_length=10, required=False) == ""


@pytest.mark.parametrize(
    "value",
    [
        "<script>alert(1)</script>",
        "Xin chào <b>anh</b>",
        "ảnh: <img src=x onerror=alert(1)>",
        "kết thúc</p>",
        "<br/>",
        "<!-- bình luận -->",
        "<a\nhref='http://example.com'>link</a>",
        '<?xml version="1.0"?>',
    ],
)
def test_clean_text_rejects_html(value: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        clean_text(value, field="description", max_length=500)
    assert field_error(exc) == ("description", "HTML is not allowed.")


@pytest.mark.parametrize(
    "value",
    ["a < b > c", "nhiệt độ <30 và >20 độ", "I <3 Thái Nguyên", "x<y", "mũi tên -> bên phải"],
)
def test_clean_text_accepts_angle_brackets_that_are_not_markup(value: str) -> None:
    assert clean_text(value, field="description", max_length=500) == value


def test_clean_text_collapses_controls_and_keeps_newlines_when_allowed() -> None:
    raw = "  Dòng\t\tmột\x00\x07 \r\nDòng  hai\u00a0\r\n\r\n\r\n\r\nDòng ba\x1b  "
    assert clean_text(raw, field="d", max_length=100) == "Dòng một\nDòng hai\n\nDòng ba"


def test_clean_text_joins_lines_when_newlines_are_not_allowed() -> None:
    raw = "Nguyễn\r\nVăn\n\n  An"
    assert clean_text(raw, field="name", max_length=100, allow_newlines=False) == "Nguyễn Văn An"


def test_clean_text_removes_invisible_and_bidi_characters() -> None:
    raw = "abc\u202edef\u200bghi\ufeff\u2066j\u2069"
    assert clean_text(raw, field="d", max_length=100) == "abcdefghij"


def test_clean_text_keeps_emoji_joiner_sequences() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_text(f"gia đình {family}", field="d", max_length=100).endswith(family)


def test_clean_text_drops_lone_surrogates() -> None:
    assert clean_text("a\ud800b", field="d", max_length=10) == "ab"


@given(st.text())
def test_clean_text_is_idempotent(value: str) -> None:
    try:
        once = clean_text(value, field="d", max_length=10_000, required=False)
    except ValidationFailed:
        return
    assert clean_text(once, field="d", max_length=10_000, required=False) == once


# --- fold / search_key --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Đường", "duong"),
        ("  ĐƯỜNG   Lê\tLợi ", "duong le loi"),
        ("Phường Hoàng Văn Thụ", "phuong hoang van thu"),
        ("Ðồng Hỷ", "dong hy"),  # U+00D0 (eth), typed by legacy input methods for "Đ"
        (unicodedata.normalize("NFD", "Thái Nguyên"), "thai nguyen"),
        ("Ｔổ ２", "to 2"),  # full-width forms
    ],
)
def test_fold(value: str, expected: str) -> None:
    assert fold(value) == expected


def test_fold_lets_unaccented_query_find_accented_text() -> None:
    assert fold("duong") in fold("Đường Lương Ngọc Quyến")
    assert fold("Đuờng") == fold("đường")  # a mistyped tone still matches


def test_search_key_joins_folded_parts_and_skips_empty_ones() -> None:
    assert search_key("Cây đổ", None, "", "  Phường Tân Thịnh ") == "cay do phuong tan thinh"


@given(st.text())
def test_fold_is_idempotent(value: str) -> None:
    assert fold(fold(value)) == fold(value)


@given(vietnamese_text)
def test_fold_of_vietnamese_text_is_lowercase_ascii(value: str) -> None:
    folded = fold(value)
    assert folded.isascii()
    assert folded == folded.lower()
    assert "  " not in folded


# --- similarity ---------------------------------------------------------------------------------


def test_similarity_is_high_for_near_duplicate_reports() -> None:
    a = "Đường Lương Ngọc Quyến bị ngập sâu sau mưa lớn, xe máy chết máy"
    b = "duong luong ngoc quyen ngap sau sau mua lon, nhieu xe may chet may"
    assert similarity(a, b) > 0.7


def test_similarity_is_high_for_reordered_words() -> None:
    a = "Đèn tín hiệu giao thông ở ngã tư Đồng Quang bị hỏng"
    b = "Ngã tư Đồng Quang: đèn tín hiệu giao thông hỏng"
    assert similarity(a, b) > 0.7


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Đường Lương Ngọc Quyến bị ngập sâu sau mưa lớn", "Rác thải ùn ứ tại chợ, bốc mùi hôi"),
        ("Cây đổ chắn ngang đường Hoàng Văn Thụ", "Đèn đường phường Tân Thịnh không sáng"),
    ],
)
def test_similarity_is_low_for_unrelated_reports(a: str, b: str) -> None:
    assert similarity(a, b) < 0.3


def test_similarity_ignores_diacritics_and_case() -> None:
    assert similarity("ĐƯỜNG NGẬP NƯỚC", "duong ngap nuoc") == 1.0


def test_similarity_of_texts_without_words_is_zero() -> None:
    assert similarity("", "") == 0.0
    assert similarity("!!!", "abc") == 0.0


def test_similarity_accepts_precomputed_trigrams() -> None:
    a, b = "ổ gà trên đường", "o ga tren duong lon"
    assert similarity(trigrams(a), b) == similarity(a, b)


@given(st.text(), st.text())
def test_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    score = similarity(a, b)
    assert 0.0 <= score <= 1.0
    assert score == similarity(b, a)


# --- slugify ------------------------------------------------------------------------------------


def test_slugify() -> None:
    assert slugify("Phường Hoàng Văn Thụ") == "phuong-hoang-van-thu"
    assert slugify("  Đường 3/2 — TP. Thái Nguyên! ") == "duong-3-2-tp-thai-nguyen"
    assert slugify("日本") == ""


def test_slugify_cuts_at_a_word_boundary() -> None:
    slug = slugify("Ủy ban nhân dân tỉnh Thái Nguyên", max_length=20)
    assert slug == "uy-ban-nhan-dan-tinh"
    assert len(slug) <= 20
