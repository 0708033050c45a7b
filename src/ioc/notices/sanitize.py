"""The rich text of notices: a small safe subset of HTML, kept by the Ammonia sanitiser (nh3).

Applied when a notice is saved AND when it is shown, so that a row written some other way (an
import, an old version of the allow-list) can never carry a script to a citizen's browser."""

from __future__ import annotations

from html import unescape

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "h2",
        "h3",
        "h4",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "ul",
        "ol",
        "li",
        "a",
        "blockquote",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
# No javascript:, data: or vbscript: links; relative links stay (they point into this site).
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def sanitize_html(html: str) -> str:
    """Only the allowed tags and attributes survive; script and style elements go with their
    content; event handlers, style attributes and dangerous link schemes are dropped."""
    return nh3.clean(
        html or "",
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def text_of(html: str) -> str:
    """The plain text of a fragment (for search keys and length checks)."""
    return " ".join(unescape(nh3.clean(html or "", tags=set())).split())
