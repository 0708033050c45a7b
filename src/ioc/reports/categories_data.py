"""The starting catalogue of report categories (Open311 services) for Thái Nguyên: names,
search keywords, urgency, anonymity, Open311 attributes, deadlines and routing.

Starting data, not law: administrators edit all of it in the console (`configuration.py`), and
`seed.seed_categories` leaves their edits alone unless asked to overwrite. Deadline figures follow
DOMAIN.md (iHanoi, Đà Nẵng, Thủ Đức); routing follows the 2025 division of work: the commune's
People's Committee (target "commune") handles local matters first, provincial departments and
utilities their own networks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ioc.reports.deadlines import DEFAULT_POLICIES

COMMUNE = "commune"  # route to the People's Committee of the report's commune (UBND-<code>)


@dataclass(frozen=True, slots=True)
class Deadline:
    """Time to accept and to resolve for one urgency, in working hours or working days."""

    urgency: str
    accept_amount: float
    accept_unit: str
    resolve_amount: float
    resolve_unit: str


@dataclass(frozen=True, slots=True)
class CategorySpec:
    code: str  # Open311 service_code: stable, lowercase ASCII, "<area>.<thing>"
    group: str
    name_vi: str
    name_en: str
    description_vi: str
    description_en: str
    keywords: str  # Vietnamese with diacritics; folded for search, so "o ga" finds "ổ gà"
    route: str | None  # COMMUNE, an agency code, or None: the operators' triage queue
    default_urgency: str = "normal"
    allow_anonymous: bool = True
    attributes: tuple[dict[str, Any], ...] = ()
    deadlines: tuple[Deadline, ...] = ()  # only where they differ from DEFAULT_DEADLINES
    # Wards (phường) of the former Thái Nguyên province, where the urban works company MTDT
    # runs waste collection, street lighting and drainage; elsewhere the commune does.
    urban_route: str | None = None
    # Where a report goes when the citizen names a commune (a rule for every commune, which
    # beats ``route``): questions and suggestions with no place may still concern a commune.
    commune_route: str | None = None
    # False: no place needed (questions and suggestions); the commune is then optional.
    location_required: bool = True
    demo_weight: float = 1.0  # share of the demo year's reports, in percent


# The province-wide rows, one per urgency: the same figures deadlines.py falls back on when no
# row exists, so the data and the code cannot disagree. Categories that cannot wait a working
# day to be accepted have their own rows below.
DEFAULT_DEADLINES: tuple[Deadline, ...] = tuple(
    Deadline(urgency, p.accept.value, p.accept.unit, p.resolve.value, p.resolve.unit)
    for urgency, p in DEFAULT_POLICIES.items()
)


def _yes_no(code: str, order: int, vi: str, en: str, *, required: bool) -> dict[str, Any]:
    # Open311 has no boolean datatype; a two-value list is how its services ask yes/no.
    return _choice(
        code, order, vi, en, (("yes", "Có", "Yes"), ("no", "Không", "No")), required=required
    )


def _choice(
    code: str,
    order: int,
    vi: str,
    en: str,
    values: tuple[tuple[str, str, str], ...],
    *,
    required: bool = False,
    multi: bool = False,
) -> dict[str, Any]:
    return {
        "code": code,
        "datatype": "multivaluelist" if multi else "singlevaluelist",
        "required": required,
        "variable": True,
        "order": order,
        "description_vi": vi,
        "description_en": en,
        "values": [{"key": k, "name_vi": nv, "name_en": ne} for k, nv, ne in values],
    }


def _field(code: str, order: int, datatype: str, vi: str, en: str) -> dict[str, Any]:
    return {
        "code": code,
        "datatype": datatype,
        "required": False,
        "variable": True,
        "order": order,
        "description_vi": vi,
        "description_en": en,
        "values": [],
    }


_SCOPE = (
    ("household", "Chỉ nhà tôi", "Only my household"),
    ("street", "Cả tuyến phố, xóm", "The whole street or hamlet"),
    ("area", "Cả khu vực rộng", "A wide area"),
)

CATEGORIES: tuple[CategorySpec, ...] = (
    # --- roads and traffic ------------------------------------------------------------------
    CategorySpec(
        "road.pothole",
        "roads",
        "Ổ gà, hư hỏng mặt đường",
        "Pothole or damaged road surface",
        "Ổ gà, sụt lún, nứt vỡ mặt đường, nắp hố ga hỏng gây nguy hiểm cho người đi đường.",
        "Potholes, subsidence, cracked surface or broken manhole covers on a road.",
        "ổ gà, ổ voi, hố, sụt lún, lún, nứt, vỡ mặt đường, hố ga, nắp cống, đường xấu",
        "SXD",
        attributes=(
            _choice(
                "size",
                1,
                "Kích thước ổ gà",
                "Size of the pothole",
                (
                    ("small", "Nhỏ (dưới 30 cm)", "Small (under 30 cm)"),
                    ("medium", "Vừa (30 cm – 1 m)", "Medium (30 cm – 1 m)"),
                    ("large", "Lớn (trên 1 m)", "Large (over 1 m)"),
                ),
            ),
        ),
        demo_weight=9,
    ),
    CategorySpec(
        "road.sidewalk",
        "roads",
        "Vỉa hè, đường ngõ xóm hư hỏng",
        "Damaged pavement or lane",
        "Vỉa hè bong gạch, bó vỉa vỡ, đường ngõ xóm, đường bê tông nông thôn xuống cấp.",
        "Broken pavement tiles or kerbs, run-down lanes and rural concrete roads.",
        "vỉa hè, gạch vỉa hè, bó vỉa, ngõ, ngách, đường xóm, đường bê tông, đường làng",
        COMMUNE,
        demo_weight=3,
    ),
    CategorySpec(
        "traffic.signal",
        "roads",
        "Đèn tín hiệu giao thông hỏng",
        "Traffic light out of order",
        "Đèn tín hiệu giao thông tắt, chỉ nhấp nháy, sai chu kỳ hoặc cột đèn bị hư hỏng.",
        "Traffic lights that are off, only flashing, badly timed, or damaged.",
        "đèn giao thông, đèn tín hiệu, đèn xanh đèn đỏ, đèn đỏ, ngã tư, nút giao",
        "SXD",
        default_urgency="urgent",
        attributes=(
            _choice(
                "fault",
                1,
                "Tình trạng đèn",
                "What is wrong",
                (
                    ("off", "Tắt hoàn toàn", "Completely off"),
                    ("flashing", "Chỉ nhấp nháy vàng", "Flashing amber only"),
                    ("timing", "Sai chu kỳ, đèn xanh quá ngắn", "Wrong timing"),
                    ("damaged", "Cột, đèn bị đổ, vỡ", "Pole or lamp damaged"),
                ),
            ),
        ),
        # A dark junction is dangerous: accepted within the hour.
        deadlines=(Deadline("urgent", 1, "hours", 4, "hours"),),
        demo_weight=3,
    ),
    CategorySpec(
        "traffic.sign",
        "roads",
        "Biển báo, vạch sơn giao thông hư hỏng",
        "Missing or damaged road sign or marking",
        "Biển báo bị mất, đổ, che khuất; vạch sơn kẻ đường mờ; gương cầu lồi hỏng.",
        "Road signs missing, fallen or hidden; faded road markings; broken convex mirrors.",
        "biển báo, biển chỉ dẫn, vạch kẻ đường, vạch sơn, gương cầu, hộ lan, dải phân cách",
        "SXD",
        demo_weight=2,
    ),
    CategorySpec(
        "traffic.violation",
        "roads",
        "Vi phạm trật tự an toàn giao thông",
        "Traffic offence",
        "Đỗ xe sai quy định, xe quá tải, đua xe, chạy quá tốc độ thường xuyên tại một điểm.",
        "Illegal parking, overloaded trucks, street racing, habitual speeding at a spot.",
        "đỗ xe, đậu xe, xe quá tải, đua xe, lạng lách, vượt đèn đỏ, xe tải, quá tốc độ",
        "CAT",
        demo_weight=4,
    ),
    CategorySpec(
        "traffic.congestion",
        "roads",
        "Ùn tắc giao thông",
        "Traffic congestion",
        "Ùn tắc kéo dài, điểm thường xuyên ách tắc vào giờ cao điểm, tai nạn gây tắc đường.",
        "Long jams, recurring rush-hour bottlenecks, accidents blocking the road.",
        "ùn tắc, tắc đường, kẹt xe, ách tắc, giờ cao điểm, tai nạn giao thông",
        "CAT",
        default_urgency="urgent",
        # A blocked junction is cleared within hours, so it is taken on within the hour.
        deadlines=(Deadline("urgent", 1, "hours", 4, "hours"),),
        demo_weight=2,
    ),
    # --- lighting ---------------------------------------------------------------------------
    CategorySpec(
        "light.street_out",
        "lighting",
        "Đèn chiếu sáng công cộng hỏng",
        "Street light out",
        "Đèn đường không sáng, sáng cả ban ngày, chập chờn; cột đèn nghiêng, hở điện.",
        "Street lights off, on during the day or flickering; leaning or exposed poles.",
        "đèn đường, đèn chiếu sáng, bóng đèn, cột đèn, tối, không sáng, chập chờn",
        COMMUNE,
        urban_route="MTDT",
        attributes=(_field("lamp_count", 1, "number", "Số bóng đèn hỏng", "Lamps out"),),
        demo_weight=7,
    ),
    # --- environment and waste --------------------------------------------------------------
    CategorySpec(
        "waste.uncollected",
        "environment",
        "Rác thải không được thu gom",
        "Uncollected waste",
        "Rác sinh hoạt tồn đọng nhiều ngày, điểm tập kết rác quá tải, xe rác không đến.",
        "Household waste left for days, overflowing collection points, missed rounds.",
        "rác, rác thải, thu gom rác, xe rác, tập kết rác, bãi rác, hôi thối",
        COMMUNE,
        urban_route="MTDT",
        attributes=(
            _field("days", 1, "number", "Số ngày chưa được thu gom", "Days without collection"),
        ),
        demo_weight=8,
    ),
    CategorySpec(
        "waste.illegal_dumping",
        "environment",
        "Đổ trộm rác, phế thải xây dựng",
        "Fly-tipping",
        "Đổ trộm rác thải, phế thải xây dựng, chất thải ra đất trống, ven đường, bờ sông.",
        "Waste or building rubble dumped on open land, roadsides or river banks.",
        "đổ trộm, đổ trộm rác, phế thải, phế thải xây dựng, xà bần, đất đá, bãi rác tự phát",
        COMMUNE,
        demo_weight=5,
    ),
    CategorySpec(
        "env.pollution",
        "environment",
        "Ô nhiễm môi trường",
        "Pollution",
        "Khói, bụi, mùi hôi, nước thải từ cơ sở sản xuất, trang trại, khu công nghiệp.",
        "Smoke, dust, smells or waste water from factories, farms or industrial zones.",
        "ô nhiễm, khói, bụi, mùi hôi, nước thải, xả thải, khí thải, trang trại lợn, nhà máy",
        "SNNMT",
        attributes=(
            _choice(
                "kind",
                1,
                "Loại ô nhiễm",
                "Kind of pollution",
                (
                    ("air", "Khói, bụi, khí thải", "Smoke, dust, fumes"),
                    ("smell", "Mùi hôi", "Smell"),
                    ("water", "Nước thải", "Waste water"),
                    ("soil", "Chất thải rắn, hóa chất", "Solid waste, chemicals"),
                ),
                multi=True,
            ),
        ),
        demo_weight=6,
    ),
    CategorySpec(
        "env.noise",
        "environment",
        "Tiếng ồn",
        "Noise",
        "Hát karaoke, loa kẹo kéo, công trình thi công gây ồn ngoài giờ cho phép.",
        "Karaoke, loudspeakers or building works making noise outside permitted hours.",
        "tiếng ồn, ồn ào, karaoke, loa, loa kẹo kéo, hát đêm, thi công ban đêm",
        COMMUNE,
        demo_weight=5,
    ),
    # --- water ------------------------------------------------------------------------------
    CategorySpec(
        "water.outage",
        "water",
        "Mất nước sinh hoạt",
        "No water supply",
        "Mất nước, nước yếu, nước đục hoặc có mùi lạ trong mạng lưới cấp nước.",
        "No water, low pressure, cloudy or smelly tap water.",
        "mất nước, cúp nước, nước yếu, nước đục, nước bẩn, nước sạch, nước máy",
        "NUOC",
        attributes=(
            _choice("scope", 1, "Phạm vi ảnh hưởng", "How far it reaches", _SCOPE),
            _field(
                "customer_code", 2, "string", "Mã khách hàng (nếu có)", "Customer number (if known)"
            ),
        ),
        # Households cannot go three working days without water: one working day.
        deadlines=(Deadline("normal", 4, "hours", 1, "days"),),
        demo_weight=4,
    ),
    CategorySpec(
        "water.leak",
        "water",
        "Vỡ, rò rỉ đường ống nước",
        "Burst or leaking water main",
        "Đường ống cấp nước bị vỡ, rò rỉ, nước tràn ra mặt đường.",
        "A burst or leaking water main, water running onto the road.",
        "vỡ ống, vỡ ống nước, rò rỉ, rò rỉ nước, ống nước, đường ống, tràn nước",
        "NUOC",
        default_urgency="urgent",
        # A main is dug up and mended within the working day, not four hours.
        deadlines=(Deadline("urgent", 2, "hours", 8, "hours"),),
        demo_weight=3,
    ),
    CategorySpec(
        "water.flooding",
        "water",
        "Ngập úng, tắc cống thoát nước",
        "Flooding or blocked drain",
        "Đường ngập khi mưa, cống rãnh tắc nghẽn, mương thoát nước bị lấp.",
        "Streets flooding after rain, blocked drains, filled-in drainage ditches.",
        "ngập, ngập úng, ngập nước, cống, tắc cống, rãnh, mương, thoát nước",
        COMMUNE,
        urban_route="MTDT",
        demo_weight=4,
    ),
    # --- electricity ------------------------------------------------------------------------
    CategorySpec(
        "power.outage",
        "electricity",
        "Mất điện",
        "Power cut",
        "Mất điện không báo trước, điện chập chờn, điện áp yếu.",
        "Unannounced power cuts, flickering supply, low voltage.",
        "mất điện, cúp điện, điện yếu, chập chờn, điện áp, sụt áp, trạm biến áp",
        "PCTN",
        attributes=(
            _choice("scope", 1, "Phạm vi mất điện", "How far the cut reaches", _SCOPE),
            _field(
                "customer_code", 2, "string", "Mã khách hàng (nếu có)", "Customer number (if known)"
            ),
        ),
        deadlines=(Deadline("normal", 2, "hours", 8, "hours"),),
        demo_weight=4,
    ),
    CategorySpec(
        "power.danger",
        "electricity",
        "Nguy cơ mất an toàn điện",
        "Electrical hazard",
        "Dây điện đứt, võng thấp, cột điện nghiêng đổ, tủ điện hở, chập cháy.",
        "Broken or sagging lines, leaning poles, open cabinets, sparking or fire.",
        "dây điện, đứt dây, võng dây, cột điện, nghiêng, đổ, chập điện, cháy, điện giật",
        "PCTN",
        default_urgency="urgent",
        attributes=(
            _yes_no(
                "anyone_hurt", 1, "Có người bị thương không?", "Is anyone hurt?", required=True
            ),
            _choice(
                "hazard",
                2,
                "Loại nguy hiểm",
                "Kind of hazard",
                (
                    ("broken_wire", "Dây điện đứt, võng thấp", "Broken or sagging line"),
                    ("leaning_pole", "Cột điện nghiêng, đổ", "Leaning or fallen pole"),
                    ("sparking", "Chập, cháy, phóng điện", "Sparking or fire"),
                    ("other", "Khác", "Other"),
                ),
            ),
        ),
        # Danger to life: accepted within the hour (the power company runs a 24/7 desk).
        deadlines=(Deadline("urgent", 1, "hours", 4, "hours"),),
        demo_weight=2,
    ),
    # --- urban order and construction -------------------------------------------------------
    CategorySpec(
        "urban.encroachment",
        "urban",
        "Lấn chiếm vỉa hè, lòng đường",
        "Encroachment on pavement or road",
        "Buôn bán, để hàng hóa, dựng lều quán, trông giữ xe trái phép trên vỉa hè, lòng đường.",
        "Stalls, goods, sheds or unlicensed parking occupying pavements or roads.",
        "lấn chiếm, vỉa hè, lòng đường, buôn bán, hàng rong, trông giữ xe, họp chợ",
        COMMUNE,
        demo_weight=6,
    ),
    CategorySpec(
        "urban.illegal_construction",
        "urban",
        "Xây dựng trái phép, sai phép",
        "Illegal or non-compliant construction",
        "Công trình xây dựng không phép, sai giấy phép, lấn chiếm đất công, không che chắn.",
        "Building without or against a permit, on public land, or without site screening.",
        "xây dựng, xây dựng trái phép, không phép, sai phép, công trình, cơi nới, lấn chiếm",
        COMMUNE,
        default_urgency="complex",
        attributes=(
            _choice(
                "stage",
                1,
                "Công trình đang ở giai đoạn",
                "Stage of the works",
                (
                    ("foundation", "Làm móng", "Foundations"),
                    ("building", "Đang xây", "Under construction"),
                    ("finished", "Đã xong", "Finished"),
                ),
            ),
        ),
        demo_weight=4,
    ),
    CategorySpec(
        "urban.advertising",
        "urban",
        "Quảng cáo, rao vặt trái phép",
        "Illegal advertising",
        "Biển quảng cáo không phép, tờ rơi, rao vặt dán trên cột điện, tường nhà.",
        "Unlicensed billboards, leaflets and ads stuck on poles and walls.",
        "quảng cáo, rao vặt, tờ rơi, biển quảng cáo, dán quảng cáo, khoan cắt bê tông",
        COMMUNE,
        demo_weight=2,
    ),
    # --- security and order -----------------------------------------------------------------
    CategorySpec(
        "security.disorder",
        "security",
        "Gây rối trật tự công cộng",
        "Public disorder",
        "Đánh nhau, tụ tập gây rối, say rượu gây mất trật tự nơi công cộng.",
        "Fights, rowdy gatherings, drunken disorder in public places.",
        "gây rối, đánh nhau, tụ tập, say rượu, mất trật tự, trộm cắp, côn đồ",
        "CAT",
        default_urgency="urgent",
        attributes=(
            _yes_no(
                "ongoing", 1, "Sự việc còn đang diễn ra?", "Is it still going on?", required=True
            ),
        ),
        deadlines=(Deadline("urgent", 1, "hours", 4, "hours"),),
        demo_weight=3,
    ),
    CategorySpec(
        "security.social_evils",
        "security",
        "Tệ nạn xã hội",
        "Drugs, gambling and other social evils",
        "Nghi vấn mua bán, sử dụng ma túy, cờ bạc, cá độ, mại dâm tại địa bàn.",
        "Suspected drug dealing or use, gambling, betting or prostitution.",
        "ma túy, nghiện, cờ bạc, đánh bạc, cá độ, lô đề, mại dâm, tệ nạn",
        "CAT",
        demo_weight=1.5,
    ),
    # --- health -----------------------------------------------------------------------------
    CategorySpec(
        "health.food_safety",
        "health",
        "Vệ sinh an toàn thực phẩm",
        "Food safety",
        "Thực phẩm bẩn, không rõ nguồn gốc, cơ sở ăn uống mất vệ sinh, nghi ngộ độc thực phẩm.",
        "Unsafe or untraceable food, dirty eateries, suspected food poisoning.",
        "thực phẩm, an toàn thực phẩm, ngộ độc, thực phẩm bẩn, quán ăn, bếp ăn, hàng giả",
        "SYT",
        attributes=(
            _yes_no(
                "anyone_ill",
                1,
                "Có người bị ngộ độc không?",
                "Has anyone fallen ill?",
                required=True,
            ),
            _choice(
                "place_kind",
                2,
                "Loại cơ sở",
                "Kind of place",
                (
                    ("restaurant", "Nhà hàng, quán ăn", "Restaurant or eatery"),
                    ("street_food", "Hàng rong, thức ăn đường phố", "Street food"),
                    ("school_kitchen", "Bếp ăn trường học, công ty", "School or canteen kitchen"),
                    ("market", "Chợ, cửa hàng", "Market or shop"),
                    ("producer", "Cơ sở sản xuất", "Producer"),
                ),
            ),
        ),
        deadlines=(Deadline("urgent", 1, "hours", 4, "hours"),),
        demo_weight=2,
    ),
    CategorySpec(
        "health.disease",
        "health",
        "Dịch bệnh, vệ sinh phòng dịch",
        "Disease outbreak or vector control",
        "Ổ dịch sốt xuất huyết, tay chân miệng, nơi sinh sản của muỗi, gia súc chết vứt bừa.",
        "Dengue or hand-foot-mouth clusters, mosquito breeding sites, dumped dead animals.",
        "dịch bệnh, sốt xuất huyết, muỗi, tay chân miệng, phun thuốc, dịch tả lợn, xác động vật",
        "SYT",
        demo_weight=1,
    ),
    # --- education --------------------------------------------------------------------------
    CategorySpec(
        "edu.school_facility",
        "education",
        "Cơ sở vật chất trường học",
        "School buildings and safety",
        "Phòng học xuống cấp, nhà vệ sinh, nước uống, an toàn quanh cổng trường.",
        "Run-down classrooms, toilets, drinking water, safety around school gates.",
        "trường học, lớp học, phòng học, nhà vệ sinh, cổng trường, học sinh, bàn ghế",
        "SGDDT",
        demo_weight=1.5,
    ),
    CategorySpec(
        "edu.extra_fees",
        "education",
        "Lạm thu, dạy thêm trái quy định",
        "Unlawful school fees or private tutoring",
        "Thu các khoản ngoài quy định, ép học sinh học thêm, quỹ phụ huynh bất hợp lý.",
        "Charges beyond the rules, pressure to take paid extra classes, parents' funds.",
        "lạm thu, thu tiền, học thêm, dạy thêm, quỹ phụ huynh, khoản thu, đầu năm học",
        "SGDDT",
        demo_weight=1,
    ),
    # --- land -------------------------------------------------------------------------------
    CategorySpec(
        "land.dispute",
        "land",
        "Tranh chấp đất đai",
        "Land dispute",
        "Tranh chấp ranh giới, quyền sử dụng đất giữa các hộ gia đình, cá nhân.",
        "Disputes over boundaries or land-use rights between households.",
        "tranh chấp, đất đai, ranh giới, mốc giới, sổ đỏ, thửa đất, lối đi chung",
        # Land disputes go first to mediation at the commune's People's Committee.
        COMMUNE,
        default_urgency="complex",
        # A dispute names the parties: the commune must be able to call the reporter in.
        allow_anonymous=False,
        attributes=(
            _field(
                "parcel",
                1,
                "string",
                "Số thửa, số tờ bản đồ (nếu biết)",
                "Parcel and map sheet number (if known)",
            ),
        ),
        demo_weight=2,
    ),
    CategorySpec(
        "land.illegal_use",
        "land",
        "Sử dụng đất sai mục đích, lấn chiếm đất công",
        "Unlawful land use",
        "Lấn chiếm đất công, đất rừng, hành lang sông; khai thác đất, cát, sỏi trái phép.",
        "Occupying public, forest or riverside land; illegal sand, gravel or soil mining.",
        "lấn chiếm đất, đất công, sai mục đích, khai thác cát, cát sỏi, đất rừng, san lấp",
        "SNNMT",
        default_urgency="complex",
        demo_weight=1.5,
    ),
    # --- other ------------------------------------------------------------------------------
    CategorySpec(
        "other.admin_procedure",
        "other",
        "Thủ tục hành chính, thái độ phục vụ",
        "Administrative procedures and service",
        "Hồ sơ giải quyết chậm, yêu cầu giấy tờ ngoài quy định, thái độ của cán bộ.",
        "Late applications, papers asked beyond the rules, officials' conduct.",
        "thủ tục, hồ sơ, một cửa, trễ hẹn, giấy tờ, cán bộ, thái độ, nhũng nhiễu",
        "VP-UBND",
        demo_weight=1.5,
    ),
    CategorySpec(
        "other.general",
        "other",
        "Phản ánh khác",
        "Other matter",
        "Các vấn đề khác chưa có trong danh mục; Trung tâm IOC sẽ chuyển đến cơ quan phù hợp.",
        "Anything not listed above; the operations centre passes it to the right agency.",
        "khác, góp ý, kiến nghị, đề xuất",
        # No rule on purpose: the operators' triage queue finds the owner.
        None,
        demo_weight=2,
    ),
    # --- questions and suggestions (no place; issue 4 §6) -----------------------------------
    # Answered like any report (same lifecycle, deadlines, answer and rating), but filed
    # without a location and never shown on the public map. A commune, when the citizen picks
    # one, routes the question to its People's Committee.
    CategorySpec(
        "feedback.procedure",
        "feedback",
        "Câu hỏi về thủ tục hành chính",
        "Question about an administrative procedure",
        "Hỏi về hồ sơ, giấy tờ, trình tự, thời hạn, lệ phí của một thủ tục hành chính.",
        "What a procedure needs: papers, steps, time limits and fees.",
        "hỏi, câu hỏi, thủ tục, hồ sơ, giấy tờ, lệ phí, cấp phép, đăng ký, một cửa",
        "VP-UBND",
        commune_route=COMMUNE,
        location_required=False,
        demo_weight=0,
    ),
    CategorySpec(
        "feedback.government",
        "feedback",
        "Góp ý xây dựng chính quyền",
        "Suggestion for the government",
        "Góp ý, kiến nghị về hoạt động của chính quyền, cải cách hành chính, chính sách.",
        "Suggestions on how the government works, administrative reform and policies.",
        "góp ý, kiến nghị, đề xuất, chính quyền, cải cách, chính sách, xây dựng",
        "VP-UBND",
        commune_route=COMMUNE,
        location_required=False,
        demo_weight=0,
    ),
    CategorySpec(
        "feedback.other",
        "feedback",
        "Phản ánh khác không có địa điểm",
        "Other matter without a place",
        "Phản ánh không gắn với một địa điểm; Trung tâm IOC sẽ chuyển đến cơ quan phù hợp.",
        "A matter tied to no place; the operations centre passes it to the right agency.",
        "phản ánh, khác, không địa điểm, thông tin, kiến nghị",
        # The operators' triage queue finds the owner, unless a commune was named.
        None,
        commune_route=COMMUNE,
        location_required=False,
        demo_weight=0,
    ),
)


def by_code() -> dict[str, CategorySpec]:
    return {spec.code: spec for spec in CATEGORIES}
