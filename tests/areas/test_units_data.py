"""The committed unit data (built by scripts/build_geodata.py) is complete and consistent."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter

import pytest

from ioc.areas import units
from ioc.kit.geo import ProvinceShape

# Old Thái Nguyên's districts before 1 July 2025 (there was never a code 166).
OLD_THAI_NGUYEN_DISTRICTS = {
    "164": "Thành phố Thái Nguyên",
    "165": "Thành phố Sông Công",
    "167": "Huyện Định Hóa",
    "168": "Huyện Phú Lương",
    "169": "Huyện Đồng Hỷ",
    "170": "Huyện Võ Nhai",
    "171": "Huyện Đại Từ",
    "172": "Thành phố Phổ Yên",
    "173": "Huyện Phú Bình",
}
OLD_BAC_KAN_DISTRICTS = {"058", "060", "061", "062", "063", "064", "065", "066"}


def is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


def test_the_province_is_thai_nguyen_code_19() -> None:
    assert units.province_code() == "19"
    assert units.province_name() == "Tỉnh Thái Nguyên"
    assert units.province_short_name() == "Thái Nguyên"


def test_there_are_92_communes_and_wards_77_xa_and_15_phuong() -> None:
    communes = units.load_communes()
    assert len(communes) == 92
    assert Counter(c.kind for c in communes) == {"xã": 77, "phường": 15}


def test_every_commune_code_is_unique_and_official_in_form() -> None:
    codes = [c.code for c in units.load_communes()]
    assert len(set(codes)) == len(codes)
    assert all(len(code) == 5 and code.isdigit() for code in codes)


def test_names_are_nfc_vietnamese_with_their_type_word() -> None:
    prefix = {"xã": "Xã ", "phường": "Phường "}
    for commune in units.load_communes():
        assert is_nfc(commune.name) and is_nfc(commune.short_name)
        assert commune.name == prefix[commune.kind] + commune.short_name
    names = {c.name for c in units.load_communes()}
    # Diacritics kept, not folded to ASCII.
    assert {"Phường Phan Đình Phùng", "Phường Bắc Kạn", "Xã Võ Nhai"} <= names


def test_names_are_unique() -> None:
    names = [c.name for c in units.load_communes()]
    assert len(set(names)) == len(names)


def test_areas_are_positive_and_add_up_to_the_province() -> None:
    communes = units.load_communes()
    assert all(c.area_km2 > 0 for c in communes)
    # The official area of the merged province is ~8,375 km²; the package's figures add up to
    # ~8,135 km², about 3% less.
    assert sum(c.area_km2 for c in communes) == pytest.approx(8_375, rel=0.05)


def test_every_commune_centre_lies_inside_the_province() -> None:
    province = ProvinceShape(units.province_geometry())
    outside = [c.name for c in units.load_communes() if not province.contains(c.lat, c.lon)]
    assert outside == []


def test_every_commune_centre_lies_inside_even_without_the_tolerance() -> None:
    province = ProvinceShape(units.province_geometry(), tolerance_m=0)
    assert all(province.contains(c.lat, c.lon) for c in units.load_communes())


def test_population_is_absent_because_the_source_has_none() -> None:
    assert all(c.population is None for c in units.load_communes())


def test_every_commune_was_formed_from_old_units_of_the_two_merged_provinces() -> None:
    for commune in units.load_communes():
        assert commune.legacy, commune.name
        assert {old.province_code for old in commune.legacy} <= {"19", "06"}
        for old in commune.legacy:
            assert is_nfc(old.name) and is_nfc(old.district_name)
            assert old.name.startswith(("Xã ", "Phường ", "Thị trấn "))


def test_an_old_unit_split_between_communes_is_marked_as_a_part_in_each() -> None:
    holders = [
        (c.name, old.whole)
        for c in units.load_communes()
        for old in c.legacy
        if old.district_code == "164" and old.name == "Phường Cam Giá"
    ]
    assert sorted(holders) == [("Phường Gia Sàng", False), ("Phường Tích Lương", False)]


def test_every_old_unit_maps_to_one_commune_unless_it_was_split() -> None:
    places: dict[tuple[str, str], list[bool]] = {}
    for commune in units.load_communes():
        for old in commune.legacy:
            places.setdefault((old.district_code, old.code), []).append(old.whole)
    assert len(places) == 280  # 172 in old Thái Nguyên, 108 in old Bắc Kạn
    for wholes in places.values():
        assert wholes == [True] or (len(wholes) > 1 and not any(wholes))


def test_the_9_old_districts_of_thai_nguyen_are_there_with_their_codes() -> None:
    districts = {d.code: d for d in units.load_legacy_districts()}
    for code, name in OLD_THAI_NGUYEN_DISTRICTS.items():
        assert districts[code].name == name
        assert districts[code].province_code == "19"
        assert districts[code].commune_codes, name


def test_the_old_districts_of_bac_kan_are_there_too() -> None:
    districts = {d.code: d for d in units.load_legacy_districts()}
    assert set(districts) == set(OLD_THAI_NGUYEN_DISTRICTS) | OLD_BAC_KAN_DISTRICTS
    assert {districts[c].province_code for c in OLD_BAC_KAN_DISTRICTS} == {"06"}
    assert districts["058"].name == "Thành phố Bắc Kạn"


def test_districts_point_to_exactly_the_communes_that_name_them() -> None:
    communes = units.load_communes()
    codes = {c.code for c in communes}
    for district in units.load_legacy_districts():
        assert set(district.commune_codes) <= codes
        naming = {
            c.code for c in communes if any(o.district_code == district.code for o in c.legacy)
        }
        assert set(district.commune_codes) == naming


def test_the_outline_and_neighbours_are_geojson_with_names() -> None:
    province = json.loads(units.geojson_path("province").read_text(encoding="utf-8"))
    assert province["features"][0]["properties"]["code"] == "19"
    neighbours = json.loads(units.geojson_path("neighbours").read_text(encoding="utf-8"))
    names = {f["properties"]["short_name"] for f in neighbours["features"]}
    assert names == {"Hà Nội", "Cao Bằng", "Tuyên Quang", "Lạng Sơn", "Bắc Ninh", "Phú Thọ"}


def test_loaders_are_cached() -> None:
    assert units.load_communes() is units.load_communes()
    assert units.load_legacy_districts() is units.load_legacy_districts()
