"""A realistic set of provincial agencies for Thái Nguyên after the 2025 reorganisation
(DOMAIN.md: departments mirror the merged ministries). Not an official list: demo and starting
data that administrators edit."""

from __future__ import annotations

# (code, name, English name, short name, kind, hotline)
PROVINCIAL_AGENCIES: tuple[tuple[str, str, str, str, str, str], ...] = (
    (
        "VP-UBND",
        "Văn phòng Ủy ban nhân dân tỉnh",
        "Office of the Provincial People's Committee",
        "VP UBND tỉnh",
        "office",
        "0208 3855 691",
    ),
    (
        "IOC",
        "Trung tâm Điều hành thông minh tỉnh",
        "Provincial Intelligent Operations Centre",
        "Trung tâm IOC",
        "office",
        "1022",
    ),
    (
        "SXD",
        "Sở Xây dựng",
        "Department of Construction",
        "Sở Xây dựng",
        "department",
        "0208 3855 360",
    ),
    (
        "SNNMT",
        "Sở Nông nghiệp và Môi trường",
        "Department of Agriculture and Environment",
        "Sở NN&MT",
        "department",
        "0208 3856 462",
    ),
    (
        "SKHCN",
        "Sở Khoa học và Công nghệ",
        "Department of Science and Technology",
        "Sở KH&CN",
        "department",
        "0208 3758 668",
    ),
    ("STC", "Sở Tài chính", "Department of Finance", "Sở Tài chính", "department", "0208 3855 434"),
    ("SNV", "Sở Nội vụ", "Department of Home Affairs", "Sở Nội vụ", "department", "0208 3851 542"),
    ("SYT", "Sở Y tế", "Department of Health", "Sở Y tế", "department", "0208 3855 631"),
    (
        "SGDDT",
        "Sở Giáo dục và Đào tạo",
        "Department of Education and Training",
        "Sở GD&ĐT",
        "department",
        "0208 3856 410",
    ),
    (
        "SCT",
        "Sở Công Thương",
        "Department of Industry and Trade",
        "Sở Công Thương",
        "department",
        "0208 3855 414",
    ),
    (
        "SVHTTDL",
        "Sở Văn hóa, Thể thao và Du lịch",
        "Department of Culture, Sports and Tourism",
        "Sở VH-TT&DL",
        "department",
        "0208 3856 624",
    ),
    ("STP", "Sở Tư pháp", "Department of Justice", "Sở Tư pháp", "department", "0208 3857 012"),
    (
        "TTT",
        "Thanh tra tỉnh",
        "Provincial Inspectorate",
        "Thanh tra tỉnh",
        "department",
        "0208 3855 700",
    ),
    ("CAT", "Công an tỉnh", "Provincial Police", "Công an tỉnh", "police", "113"),
    (
        "BQLKCN",
        "Ban Quản lý các khu công nghiệp",
        "Industrial Zones Authority",
        "BQL các KCN",
        "department",
        "0208 3862 578",
    ),
    (
        "PCTN",
        "Công ty Điện lực Thái Nguyên",
        "Thái Nguyên Power Company (EVN NPC)",
        "Điện lực Thái Nguyên",
        "utility",
        "1900 6769",
    ),
    (
        "NUOC",
        "Công ty Cổ phần Nước sạch Thái Nguyên",
        "Thái Nguyên Clean Water Company",
        "Nước sạch Thái Nguyên",
        "utility",
        "0208 3855 181",
    ),
    (
        "MTDT",
        "Công ty Cổ phần Môi trường và Công trình đô thị Thái Nguyên",
        "Thái Nguyên Urban Environment and Works Company",
        "Môi trường đô thị",
        "utility",
        "0208 3855 305",
    ),
)

AGENCY_KINDS = {
    "office": "Office",
    "department": "Department",
    "police": "Police",
    "utility": "Public utility",
    "commune_committee": "Commune People's Committee",
}
