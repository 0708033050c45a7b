"""Bands (good, warning, bad), trends and periods: pure rules, no database.

The band rule (also shown on the catalogue page):

- **% of target** (U4SSC style, ITU-T Y.4903 reporting): the achievement is value ÷ target
  when higher is better and target ÷ value when lower is better, in %. At or above ``good_at``
  (default 100 %) the indicator is *good* (on target), at or above ``warn_at`` (default 66 %)
  it *needs attention*, below that it is *off target*. U4SSC's two lower steps (33–66 % and
  below 33 %) are both "off target" here: a leader acts on either. A lower-is-better value of 0
  meets any target.
- **Absolute thresholds**: higher is better: value ≥ ``good_at`` good, ≥ ``warn_at`` warning,
  else bad; lower is better: value ≤ ``good_at`` good, ≤ ``warn_at`` warning, else bad.
- **Target range** (direction ``range``): inside [target, target_max] good; outside it by at
  most ``warn_at`` warning; further out bad.

Exactly at a threshold counts as the better band."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

GOOD, WARNING, BAD, NONE = "good", "warning", "bad", "none"
DEFAULT_GOOD_PCT = 100.0
DEFAULT_WARN_PCT = 66.0
# A relative change below this is "flat" (no arrow): noise in a monthly figure.
FLAT_SHARE = 0.005


class BandRule(Protocol):
    direction: str
    band_mode: str
    target: float | None
    target_max: float | None
    good_at: float | None
    warn_at: float | None


@dataclass(frozen=True)
class Rule:
    """A band rule on its own (tests, imports); the Indicator model has the same fields."""

    direction: str = "higher"
    band_mode: str = "target"
    target: float | None = None
    target_max: float | None = None
    good_at: float | None = None
    warn_at: float | None = None


def achievement(rule: BandRule, value: float) -> float | None:
    """% of the target achieved (target mode), or None when there is no target."""
    target = rule.target
    if target is None:
        return None
    if rule.direction == "lower":
        if value <= 0:
            return float("inf")
        return target / value * 100.0
    if target == 0:
        return float("inf") if value >= 0 else 0.0
    return value / target * 100.0


def band(rule: BandRule, value: float | None) -> str:
    if value is None:
        return NONE
    if rule.direction == "range":
        return _range_band(rule, value)
    if rule.band_mode == "target":
        pct = achievement(rule, value)
        if pct is None:
            return NONE
        good = rule.good_at if rule.good_at is not None else DEFAULT_GOOD_PCT
        warn = rule.warn_at if rule.warn_at is not None else DEFAULT_WARN_PCT
        return GOOD if pct >= good else WARNING if pct >= warn else BAD
    if rule.band_mode == "absolute":
        good_at, warn_at = rule.good_at, rule.warn_at
        if good_at is None:
            return NONE
        if rule.direction == "lower":
            if value <= good_at:
                return GOOD
            return WARNING if warn_at is not None and value <= warn_at else BAD
        if value >= good_at:
            return GOOD
        return WARNING if warn_at is not None and value >= warn_at else BAD
    return NONE


def _range_band(rule: BandRule, value: float) -> str:
    low, high = rule.target, rule.target_max
    if low is None and high is None:
        return NONE
    below = (low - value) if low is not None and value < low else 0.0
    above = (value - high) if high is not None and value > high else 0.0
    miss = max(below, above)
    if miss == 0:
        return GOOD
    margin = rule.warn_at or 0.0
    return WARNING if miss <= margin else BAD


def trend(direction: str, value: float | None, previous: float | None) -> tuple[str, bool | None]:
    """("up" | "down" | "flat" | "none", whether that is an improvement)."""
    if value is None or previous is None:
        return "none", None
    scale = max(abs(previous), abs(value), 1e-9)
    if abs(value - previous) / scale < FLAT_SHARE:
        return "flat", None
    way = "up" if value > previous else "down"
    if direction == "higher":
        return way, way == "up"
    if direction == "lower":
        return way, way == "down"
    return way, None


# --- periods -------------------------------------------------------------------------------


def period_start(frequency: str, day: date) -> date:
    """The first day of the period containing ``day``."""
    if frequency == "daily":
        return day
    if frequency == "monthly":
        return day.replace(day=1)
    if frequency == "quarterly":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def next_period(frequency: str, start: date) -> date:
    if frequency == "daily":
        return start + timedelta(days=1)
    months = {"monthly": 1, "quarterly": 3, "yearly": 12}[frequency]
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def previous_period(frequency: str, start: date) -> date:
    if frequency == "daily":
        return start - timedelta(days=1)
    months = {"monthly": 1, "quarterly": 3, "yearly": 12}[frequency]
    month = start.month - 1 - months
    return date(start.year + month // 12, month % 12 + 1, 1)


def period_label(frequency: str, start: date, locale: str = "vi") -> str:
    if frequency == "daily":
        return start.strftime("%d/%m/%Y")
    if frequency == "monthly":
        return f"{start.month:02d}/{start.year}"
    if frequency == "quarterly":
        quarter = (start.month - 1) // 3 + 1
        return f"Quý {quarter}/{start.year}" if locale == "vi" else f"Q{quarter} {start.year}"
    return str(start.year)


def period_key(frequency: str, start: date) -> str:
    """The form an import file uses: 2026-03-15, 2026-03, 2026-Q1, 2026."""
    if frequency == "daily":
        return start.isoformat()
    if frequency == "monthly":
        return f"{start.year}-{start.month:02d}"
    if frequency == "quarterly":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def parse_period(frequency: str, text: str) -> date | None:
    """The period's first day from its key (or any day inside it), None if not understood."""
    text = text.strip().upper().replace("/", "-")
    try:
        if "Q" in text:
            year_s, quarter_s = text.split("-Q") if "-Q" in text else text.split("Q")
            quarter = int(quarter_s)
            if not 1 <= quarter <= 4:
                return None
            day = date(int(year_s), 3 * (quarter - 1) + 1, 1)
        elif len(text) == 4:
            day = date(int(text), 1, 1)
        elif len(text) in (6, 7) and text.count("-") == 1:
            a, b = text.split("-")
            # 2026-03 or 03-2026 (the Vietnamese habit: tháng/năm)
            year, month = (int(a), int(b)) if len(a) == 4 else (int(b), int(a))
            day = date(year, month, 1)
        else:
            parts = text.split("-")
            if len(parts) != 3:
                return None
            if len(parts[0]) == 4:
                day = date(int(parts[0]), int(parts[1]), int(parts[2]))
            else:  # 15-03-2026 (ngày/tháng/năm)
                day = date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None
    if not 1990 <= day.year <= 2100:
        return None
    if frequency in ("daily",) and len(text) < 8:
        return None
    if frequency == "monthly" and len(text) == 4:
        return None
    if frequency == "quarterly" and len(text) == 4:
        return None
    return period_start(frequency, day)
