"""Text hygiene and search keys for user input, written for Vietnamese but free of domain words.

Everything here is plain Python (``unicodedata`` and ``re``), cheap enough to run on every
request. Heavier language tools (word segmentation) belong elsewhere and are optional.
"""

from __future__ import annotations

import re
import unicodedata

from ioc.errors import ValidationFailed

__all__ = [
    "clean_text",
    "fold",
    "nfc",
    "search_key",
    "similarity",
    "slugify",
    "trigrams",
]


def nfc(s: str) -> str:
    """Compose ``s`` to NFC.

    Vietnamese can be typed precomposed ("ế", one code point) or decomposed ("e" + two marks),
    depending on the keyboard and the OS (macOS file names, some Telex/VNI setups). Stored text
    is always NFC so that equality, length limits and ``LIKE`` behave the same for both."""
    return unicodedata.normalize("NFC", s)


# --- clean_text -----------------------------------------------------------------------------

# Markup as a browser would parse it: a tag name must follow "<" immediately, so "a < b > c"
# and "<3" are plain text, while "<b>", "</p>", "<img src=x onerror=...>", "<!-- -->" and
# "<?xml ...?>" are not. Output is autoescaped anyway; this is about telling the person early
# that formatting is not kept, and keeping markup out of exports, SMS and e-mails.
_HTML_TAG = re.compile(r"<(?:/?[A-Za-z][\w:.-]*(?:[\s/][^<>]*)?|![^<>]*|\?[^<>]*)>")

# Invisible characters that are removed outright: zero-width space, word joiner, BOM, soft
# hyphen, and the bidirectional overrides/isolates used to make text display differently from
# what it contains ("Trojan Source"). ZWJ/ZWNJ (U+200C/D) stay: emoji sequences need them.
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x200B, 0x2060, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_BLANK_LINES = re.compile(r"\n{3,}")


def _scrub_line(line: str) -> str:
    """Turn every run of whitespace or control characters in one line into a single space."""
    out: list[str] = []
    pending_space = False
    for ch in line:
        category = unicodedata.category(ch)
        if ch.isspace() or category == "Cc":
            pending_space = True
        elif category == "Cs":
            # A lone surrogate (possible from JSON "\ud800") cannot be encoded as UTF-8 and
            # would fail later in the database driver, so it is dropped here.
            continue
        else:
            if pending_space and out:
                out.append(" ")
            pending_space = False
            out.append(ch)
    return "".join(out)


def clean_text(
    value: str | None,
    *,
    field: str,
    max_length: int,
    allow_newlines: bool = True,
    required: bool = True,
) -> str:
    """Normalise one piece of user text or raise ``ValidationFailed`` naming ``field``.

    NFC, line breaks unified to "\\n" (or to spaces when ``allow_newlines`` is false), runs of
    spaces, tabs and control characters collapsed to one space, invisible formatting removed,
    at most one blank line in a row, outer whitespace stripped. Returns "" for an empty optional
    value. Length is counted in code points after normalisation, which is what PostgreSQL's
    ``varchar(n)`` counts, so a value that passes here fits its column."""
    text = nfc(value or "").translate(_INVISIBLE)
    text = _LINE_BREAKS.sub("\n", text)
    lines = [_scrub_line(line) for line in text.split("\n")]
    if allow_newlines:
        text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    else:
        text = " ".join(line for line in lines if line)

    if not text:
        if required:
            raise ValidationFailed("This field is required.", field=field)
        return ""
    if _HTML_TAG.search(text):
        raise ValidationFailed("HTML is not allowed.", field=field)
    if len(text) > max_length:
        raise ValidationFailed(
            "At most {max} characters.", field=field, max=max_length, length=len(text)
        )
    return text


# --- folding and search keys ----------------------------------------------------------------

# "đ"/"Đ" are letters of their own, not "d" plus a mark, so NFD leaves them alone. "Ð"
# (U+00D0, Icelandic eth) looks identical to "Đ" and is what some legacy Vietnamese input
# methods and converted documents actually contain; its lowercase is "ð".
_FOLD_LETTERS = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def _strip_marks(s: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch))


def fold(s: str) -> str:
    """Accent-free, lowercase, single-spaced key: ``fold("  Đường  Lê Lợi") == "duong le loi"``.

    Used on both sides of a search so that text typed without diacritics (common on phones and
    in SMS) finds text written with them. NFKD rather than NFD also folds full-width and other
    compatibility forms ("Ｔ" → "t"). Folding twice changes nothing."""
    # Marks are stripped both before and after casefolding: compatibility decomposition can
    # yield capitals ("ℌ" → "H") and casefolding can yield marks ("İ" → "i" + dot above).
    folded = _strip_marks(_strip_marks(s).casefold()).translate(_FOLD_LETTERS)
    return " ".join(folded.split())


def search_key(*parts: str | None) -> str:
    """One folded key for several fields (title, address, description), empty parts skipped."""
    return " ".join(key for key in (fold(part) for part in parts if part) if key)


# --- similarity -----------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")


def trigrams(s: str) -> frozenset[str]:
    """The trigram set of ``s``, computed like PostgreSQL's ``pg_trgm`` but on folded text.

    Each alphanumeric word is padded with two spaces in front and one behind, so short words
    and word starts weigh in. Following pg_trgm means a later SQL prefilter (``similarity()``
    with a pg_trgm index on a folded column) ranks candidates the same way as this function.
    Compute it once per text when comparing one text with many."""
    grams: set[str] = set()
    for word in _WORD.findall(fold(s)):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def similarity(a: str | frozenset[str], b: str | frozenset[str]) -> float:
    """Jaccard similarity of the trigram sets of ``a`` and ``b``, from 0.0 to 1.0.

    Trigrams on folded text tolerate what differs between two people describing the same thing:
    missing diacritics, typos, word order, punctuation. Texts with no letters or digits have
    nothing to compare and score 0.0. Either side may be a precomputed ``trigrams()`` set."""
    grams_a = a if isinstance(a, frozenset) else trigrams(a)
    grams_b = b if isinstance(b, frozenset) else trigrams(b)
    if not grams_a or not grams_b:
        return 0.0
    shared = len(grams_a & grams_b)
    return shared / (len(grams_a) + len(grams_b) - shared)


# --- slugs ----------------------------------------------------------------------------------

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(s: str, *, max_length: int = 80) -> str:
    """ASCII slug for URLs and file names: "Phường Hoàng Văn Thụ" → "phuong-hoang-van-thu".

    Characters with no ASCII fold (CJK, emoji) are dropped, so the result may be "". It is cut
    at a hyphen where possible so that no word is left half-written."""
    slug = _NON_SLUG.sub("-", fold(s)).strip("-")
    if len(slug) > max_length:
        cut = slug[: max_length + 1].rfind("-")
        slug = slug[: cut if cut > 0 else max_length].rstrip("-")
    return slug
