"""Demo notices, news and emergency alerts of Thái Nguyên (only for `ioc demo`; all marked
``is_demo``). Times are relative to now so that the demo always looks current: one flood
warning running for the communes along the Cầu river, one alert that has ended."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.areas.models import Agency, Area
from ioc.db import utcnow
from ioc.notices.models import EmergencyAlert, EmergencyAlertArea, Notice, NoticeArea
from ioc.notices.sanitize import sanitize_html

log = logging.getLogger(__name__)

# Wards and communes on the Cầu river (Quan Triều down to Phú Bình).
CAU_RIVER = ("05482", "05443", "05467", "05710", "05908", "05953")

# (kind, agency, title, summary, body, published days ago, expires in days, target communes)
NOTICES: tuple[tuple[str, str, str, str, str, float, float | None, tuple[str, ...]], ...] = (
    (
        "notice",
        "SNNMT",
        "Thông báo xả lũ hồ Núi Cốc",
        "Hồ Núi Cốc có thể điều tiết xả nước qua tràn; người dân vùng hạ du sông Công chú ý.",
        "<p>Do mưa lớn kéo dài, mực nước hồ Núi Cốc đang lên nhanh. Công ty TNHH MTV Khai thác "
        "thủy lợi có thể <strong>điều tiết xả nước qua tràn</strong> trong 48 giờ tới.</p>"
        "<h2>Người dân cần làm gì</h2><ul><li>Không đánh bắt cá, tắm, qua lại ở khu vực hạ du "
        "tràn xả lũ.</li><li>Di chuyển tài sản, gia súc lên nơi cao.</li><li>Theo dõi thông báo "
        "của UBND xã, phường.</li></ul>",
        0.2,
        3,
        ("05503", "05518", "05528"),
    ),
    (
        "notice",
        "IOC",
        "Đường dây nóng 1022 tiếp nhận phản ánh 24/7",
        "Gọi 1022 hoặc gửi phản ánh trên ứng dụng C-ThaiNguyen để được cơ quan chức năng xử lý.",
        "<p>Trung tâm Điều hành thông minh tỉnh tiếp nhận phản ánh, kiến nghị của người dân và "
        "doanh nghiệp qua <strong>đường dây nóng 1022</strong> và ứng dụng C-ThaiNguyen, "
        "<em>24 giờ mỗi ngày, 7 ngày mỗi tuần</em>.</p><p>Mỗi phản ánh được chuyển đến đúng cơ "
        "quan xử lý và có thời hạn trả lời.</p>",
        2,
        None,
        (),
    ),
    (
        "news",
        "VP-UBND",
        "Thái Nguyên đẩy mạnh chuyển đổi số trong giải quyết thủ tục hành chính",
        "Tỷ lệ hồ sơ nộp trực tuyến toàn trình tiếp tục tăng trong quý IV.",
        "<p>UBND tỉnh yêu cầu các sở, ngành và UBND xã, phường tiếp tục đẩy mạnh tiếp nhận và "
        "giải quyết thủ tục hành chính trên môi trường điện tử.</p><p>Người dân có thể nộp hồ "
        "sơ trực tuyến tại Cổng dịch vụ công quốc gia.</p>",
        3,
        None,
        (),
    ),
    (
        "notice",
        "SXD",
        "Tạm cấm xe tải trên 10 tấn qua cầu Gia Bảy để sửa chữa",
        "Từ 22 giờ đến 5 giờ sáng trong 10 ngày, xe tải trên 10 tấn đi đường tránh.",
        "<p>Để sửa chữa khe co giãn, cầu Gia Bảy tạm cấm xe tải có tải trọng trên 10 tấn "
        "<strong>từ 22:00 đến 05:00</strong> hằng ngày trong 10 ngày.</p><p>Phương tiện đi theo "
        "đường tránh thành phố. Xin lỗi người dân vì sự bất tiện.</p>",
        1,
        10,
        ("05443", "05467", "05482"),
    ),
    (
        "news",
        "SYT",
        "Tiêm chủng mở rộng: lịch tiêm vắc xin sởi tại trạm y tế",
        "Trẻ từ 9 tháng tuổi đến 5 tuổi được tiêm miễn phí tại trạm y tế xã, phường.",
        "<p>Sở Y tế tổ chức đợt tiêm bổ sung vắc xin sởi cho trẻ từ 9 tháng đến 5 tuổi.</p>"
        "<ol><li>Mang theo sổ tiêm chủng.</li><li>Đến trạm y tế nơi cư trú vào sáng thứ Bảy."
        "</li></ol>",
        4,
        20,
        (),
    ),
    (
        "notice",
        "SNNMT",
        "Lịch cắt nước luân phiên khu vực phường Phan Đình Phùng",
        "Ngày Chủ nhật tới, từ 8 giờ đến 16 giờ, để thay đường ống chính.",
        "<p>Công ty cổ phần Nước sạch Thái Nguyên tạm ngừng cấp nước để thay thế đường ống "
        "chính trên đường Hoàng Văn Thụ, <strong>từ 08:00 đến 16:00 Chủ nhật</strong>.</p>",
        0.5,
        6,
        ("05443",),
    ),
    (
        "news",
        "SVHTTDL",
        "Lễ hội Trà Thái Nguyên thu hút đông đảo du khách",
        "Nhiều hoạt động văn hóa, trải nghiệm hái chè tại vùng chè Tân Cương.",
        "<p>Lễ hội Trà năm nay diễn ra với nhiều hoạt động: trình diễn sao chè, trải nghiệm "
        "hái chè, chợ phiên sản phẩm OCOP.</p><p>Xem chi tiết tại "
        '<a href="https://thainguyen.gov.vn">Cổng thông tin điện tử tỉnh</a>.</p>',
        6,
        None,
        (),
    ),
    (
        "notice",
        "SGDDT",
        "Học sinh được nghỉ học khi có mưa lũ, sạt lở",
        "Nhà trường chủ động cho học sinh nghỉ khi có cảnh báo nguy hiểm.",
        "<p>Sở Giáo dục và Đào tạo đề nghị các trường chủ động cho học sinh nghỉ học khi có "
        "cảnh báo mưa lũ, sạt lở đất, bảo đảm an toàn cho học sinh và giáo viên.</p>",
        1.5,
        7,
        (),
    ),
    (
        "news",
        "CAT",
        "Cảnh giác với các cuộc gọi giả danh công an",
        "Công an không làm việc qua điện thoại và không yêu cầu chuyển tiền.",
        "<p>Công an tỉnh khuyến cáo người dân <strong>không cung cấp mã OTP</strong>, không "
        "chuyển tiền theo yêu cầu của người gọi tự xưng là công an, viện kiểm sát.</p><p>Khi "
        'nghi ngờ, gọi ngay <a href="tel:113">113</a>.</p>',
        5,
        None,
        (),
    ),
    (
        "notice",
        "SCT",
        "Lịch tạm ngừng cung cấp điện để bảo dưỡng lưới điện",
        "Một số khu vực xã Đại Từ, Phú Lạc mất điện từ 7 giờ đến 11 giờ thứ Ba.",
        "<p>Công ty Điện lực Thái Nguyên tạm ngừng cấp điện để bảo dưỡng đường dây 35 kV.</p>"
        "<ul><li>Xã Đại Từ: 07:00–11:00</li><li>Xã Phú Lạc: 07:30–10:30</li></ul>",
        0.8,
        4,
        ("05830", "05788"),
    ),
    (
        "notice",
        "SXD",
        "Kế hoạch thu gom rác thải sau mưa lũ",
        "Đã hết hạn: kế hoạch của đợt mưa lũ trước.",
        "<p>Các phường tổ chức tổng vệ sinh, thu gom rác thải sau mưa lũ.</p>",
        30,
        -10,
        (),
    ),
)

# (severity, title, message, started hours ago, ends in hours, target communes)
ALERTS: tuple[tuple[str, str, str, float, float, tuple[str, ...]], ...] = (
    (
        "danger",
        "Cảnh báo lũ trên sông Cầu",
        "Mực nước sông Cầu tại trạm Gia Bảy đang lên, có thể vượt báo động 2 trong 12 giờ tới. "
        "Không qua lại ngầm, tràn; di chuyển người và tài sản ở vùng trũng thấp ven sông.",
        1,
        24,
        CAU_RIVER,
    ),
    (
        "warning",
        "Cảnh báo rét đậm, rét hại",
        "Nhiệt độ thấp nhất 8–10 °C. Giữ ấm cho người già, trẻ nhỏ; che chắn chuồng trại.",
        96,
        -48,
        (),
    ),
)


def _agencies(session: Session) -> dict[str, int]:
    return {code: id_ for code, id_ in session.execute(select(Agency.code, Agency.id))}


def seed_demo_notices(
    session: Session,
    *,
    progress: Callable[[str, int, int], Any] | None = None,
    now: datetime | None = None,
) -> int:
    """Idempotent: does nothing when demo notices exist."""
    if session.scalar(select(Notice.id).where(Notice.is_demo.is_(True)).limit(1)) is not None:
        return 0
    now = now or utcnow()
    agencies = _agencies(session)
    known = set(session.scalars(select(Area.code)).all())
    count = 0
    for kind, agency, title, summary, body, days_ago, expires_in, targets in NOTICES:
        published = now - timedelta(days=days_ago)
        codes = [c for c in targets if c in known]
        notice = Notice(
            kind=kind,
            title=title,
            summary=summary,
            body_html=sanitize_html(body),
            agency_id=agencies.get(agency),
            province_wide=not codes,
            status="published",
            publish_at=published,
            published_at=published,
            expires_at=None if expires_in is None else now + timedelta(days=expires_in),
            created_at=published - timedelta(hours=1),
            updated_at=published,
            is_demo=True,
        )
        session.add(notice)
        session.flush()
        session.add_all(NoticeArea(notice_id=notice.id, area_code=c) for c in codes)
        count += 1
    for severity, title, message, started, ends_in, targets in ALERTS:
        codes = [c for c in targets if c in known]
        alert = EmergencyAlert(
            title=title,
            message=message,
            severity=severity,
            province_wide=not codes,
            starts_at=now - timedelta(hours=started),
            ends_at=now + timedelta(hours=ends_in),
            status="active" if ends_in > 0 else "ended",
            agency_id=agencies.get("IOC"),
            created_at=now - timedelta(hours=started),
            is_demo=True,
        )
        session.add(alert)
        session.flush()
        session.add_all(EmergencyAlertArea(alert_id=alert.id, area_code=c) for c in codes)
        count += 1
    session.flush()
    if progress is not None:
        progress("notices", count, count)
    return count
