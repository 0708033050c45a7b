"""The rich text of notices keeps a safe subset of HTML and nothing else."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ioc.notices.sanitize import sanitize_html, text_of
from tests.notices.conftest import make_notice, person


def test_script_elements_are_removed_with_their_content() -> None:
    clean = sanitize_html("<p>Xin chào</p><script>alert('x')</script><style>p{color:red}</style>")
    assert clean == "<p>Xin chào</p>"


def test_event_handlers_and_style_attributes_are_dropped() -> None:
    clean = sanitize_html(
        '<p onclick="steal()" style="color:red">Nội dung</p><img src="x" onerror="alert(1)">'
    )
    assert clean == "<p>Nội dung</p>"
    assert "onerror" not in clean and "onclick" not in clean and "<img" not in clean


def test_javascript_and_data_links_lose_their_target() -> None:
    clean = sanitize_html(
        '<a href="javascript:alert(1)">a</a><a href="data:text/html,x">b</a>'
        '<a href=" JaVaScRiPt:alert(1)">c</a>'
    )
    assert "javascript" not in clean.lower() and "data:" not in clean
    assert clean.count("<a ") == 3


def test_allowed_tags_are_kept() -> None:
    html = (
        "<h2>Lịch cắt điện</h2><p><strong>Đậm</strong> <em>nghiêng</em> <u>gạch</u></p>"
        "<ul><li>Một</li></ul><ol><li>Hai</li></ol><blockquote>Trích</blockquote>"
    )
    assert sanitize_html(html) == html


def test_safe_links_are_kept_and_made_noopener() -> None:
    clean = sanitize_html('<a href="https://thainguyen.gov.vn" target="_blank">Cổng</a>')
    assert 'href="https://thainguyen.gov.vn"' in clean
    assert 'rel="noopener noreferrer nofollow"' in clean
    assert "target" not in clean
    assert 'href="tel:113"' in sanitize_html('<a href="tel:113">113</a>')


def test_plain_text_of_a_fragment() -> None:
    assert text_of("<p>Điện &amp; nước</p><ul><li>một</li></ul>") == "Điện & nướcmột"


def test_the_body_is_sanitised_when_saved(seeded: Session) -> None:
    operator = person(seeded, "operator")
    notice = make_notice(
        seeded,
        operator,
        publish=False,
        body='<p onmouseover="x()">Nội dung</p><script>alert(1)</script>',
    )
    assert notice.body_html == "<p>Nội dung</p>"
