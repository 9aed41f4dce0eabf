"""The region tree and the agencies of a synthetic country, deterministic for a seed.

The tree has the real levels (province → city → county → township/street) with 行政区划-style
codes (2 digits a level to county, 3 more for a township); each province, city and county has its
people's government (``government``), its government office (``office``), departments
(``department``) and a few other agencies (``other``); each township or street its own agency
(``township``). A department's parent is its government; the government office of a level reviews
that level's departments, other agencies and townships; the office of the level above reviews a
government and an office. The size follows an agency budget: the country grows county by county
until it has that many agencies; a small budget also thins out the departments of each level, so
that a few hundred agencies still make every level.

Agency codes are 18-character 统一社会信用代码 of the 机关 kind (``11`` + the region's code + a
9-character organisation code with its check character + the check character of GB 32100).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from xxgk.corpus import country_names as names
from xxgk.corpus.country_names import RegionName
from xxgk.corpus.types import AgencyRecord, Level, Region
from xxgk.errors import XxgkError

# real province codes first, then the unused ones
_PROVINCE_CODES = (
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
     61, 62, 63, 64, 65]
)
_PROVINCE_CODES += [c for c in range(10, 100) if c not in _PROVINCE_CODES]
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code(n: int) -> str:
    """A 9-character 组织机构代码 (GB 11714) for the number ``n`` (< 10⁸), check character last."""
    body = f"{(n * 7919 + 1000003) % 10**8:08d}"  # a bijection on 8 digits: distinct n, distinct code
    c = 11 - sum(int(d) * w for d, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return body + ("X" if c == 10 else "0" if c == 11 else str(c))


def uscc(region6: str, n: int) -> str:
    """A 统一社会信用代码 of a 机关 (registration authority 1, kind 1) registered in ``region6``."""
    base = "11" + region6 + org_code(n)
    s = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(base, _USCC_WEIGHTS, strict=True))
    return base + _USCC_CHARS[(31 - s % 31) % 31]


def uscc_valid(code: str) -> bool:
    """Whether ``code``'s last character is its GB 32100 check character."""
    if len(code) != 18 or any(ch not in _USCC_CHARS for ch in code):
        return False
    s = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - s % 31) % 31] == code[17]


@dataclass(frozen=True)
class AgencySpec:
    """What the report writer needs to know of an agency, besides its registry record."""

    record: AgencyRecord
    level: Level  # the level of its region
    field: str  # a department's field key (country_names.DEPARTMENTS), else its kind; "other:…"
    folder: tuple[str, ...]  # province, city, county names: where its files are archived
    me: str  # how its report speaks of itself: 我局, 我县
    area: str  # of its area: 全县, 全镇
    printable: tuple[str, ...]  # names a report may be printed under (title, signature)


@dataclass
class Country:
    regions: list[Region]
    agencies: list[AgencySpec]


def _density(budget: int) -> float:
    return min(1.0, max(0.1, budget / 4000))


def _scaled(n: int, d: float, low: int) -> int:
    return max(low, round(n * d))


class _Builder:
    def __init__(self, budget: int, seed: int) -> None:
        self.budget = budget
        self.rng = random.Random(f"xxgk.country/{seed}/tree")
        self.d = _density(budget)
        self.regions: list[Region] = []
        self.agencies: list[AgencySpec] = []
        self.used_provinces: set[str] = set()
        self.used_cities: set[str] = set()

    # --- agencies of one region
    def _add(self, name: str, kind: str, region: str, level: Level, field: str, folder: tuple[str, ...],
             parent: str | None, supervisor: str | None, aliases: tuple[str, ...], rn: RegionName,
             unit: str, printable: tuple[str, ...]) -> AgencyRecord:
        code = uscc(region[:6], len(self.agencies) + 1)
        rec = AgencyRecord(code=code, name=name, kind=kind, region=region, parent=parent,  # type: ignore[arg-type]
                           supervisor=supervisor, aliases=tuple(a for a in aliases if a != name))
        me, area = names.self_reference(kind, rn, unit)
        self.agencies.append(AgencySpec(rec, level, field, folder, me, area, printable))
        return rec

    def level_agencies(self, rn: RegionName, code: str, level: Level, prefix: str, folder: tuple[str, ...],
                       above_office: str | None, parent_gov: str | None, alias_prefix: str = "") -> tuple[str, str]:
        """The government, office, departments and others of one province, city or county;
        returns the codes of its government and office. ``prefix`` is printed before the
        region's name in the full names (a county's city: 三门峡市陕州区教育局), ``alias_prefix``
        only in an alias (a city's province: 河南省三门峡市教育局)."""
        rng = self.rng
        gname = prefix + names.government_name(rn)
        galiases = names.government_aliases(rn, alias_prefix)
        bare = names.government_name(rn)
        gov = self._add(gname, "government", code, level, "government", folder, parent_gov, above_office,
                        (bare, *galiases), rn, "政府", (gname, bare))
        oname = prefix + names.office_name(rn, level)
        obare = names.office_name(rn, level)
        office = self._add(oname, "office", code, level, "office", folder, gov.code, above_office,
                           (obare, *names.office_aliases(rn, alias_prefix, level)), rn,
                           "办公厅" if level == "province" else "办公室", (oname, obare))
        col = {"province": 1, "city": 2, "county": 3}[level]
        units = [(row[0], row[col]) for row in names.DEPARTMENTS if row[col] is not None]
        if level != "province" and rn.suffix not in ("自治州",) and rng.random() < 0.8:
            units = [u for u in units if u[0] != "ethnic"]
        keep = _scaled(len(units), self.d * rng.uniform(0.85, 1.0), 3)
        chosen = sorted(rng.sample(range(len(units)), min(keep, len(units))))
        for i in chosen:
            key, unit = units[i]
            assert unit is not None
            full = prefix + rn.name + unit
            bare_d = rn.name + unit
            aliases = (bare_d, *names.department_aliases(rn, alias_prefix, unit))
            self._add(full, "department", code, level, key, folder, gov.code, office.code, aliases, rn, unit,
                      (full, bare_d))
        pool = names.OTHERS[level]
        n_other = min(len(pool), _scaled(rng.randint(1, 3), self.d, 1 if level != "county" else 0))
        for unit in rng.sample(pool, n_other):
            full = prefix + rn.name + unit
            bare_o = rn.name + unit
            self._add(full, "other", code, level, f"other:{unit}", folder, gov.code, office.code,
                      (bare_o, *names.department_aliases(rn, alias_prefix, unit)), rn, unit, (full, bare_o))
        return gov.code, office.code

    # --- the tree
    def province(self, index: int) -> tuple[str, RegionName, str]:
        if index >= len(_PROVINCE_CODES) - 1:
            raise XxgkError("country-too-large", "国家规模过大：省级代码已用完，请减少报告数",
                            "the country is too large: province codes are exhausted; ask for fewer reports")
        autonomous = self.rng.random() < 0.15
        rn = names.province_name(self.rng, autonomous)
        while rn.name in self.used_provinces:
            rn = names.province_name(self.rng, autonomous)
        self.used_provinces.add(rn.name)
        code = f"{_PROVINCE_CODES[index]:02d}0000"
        self.regions.append(Region(code, rn.name, "province", None))
        _gov, office = self.level_agencies(rn, code, "province", "", (rn.name,), None, None)
        return code, rn, office

    def build(self) -> Country:
        rng = self.rng
        d = self.d
        p_index = 0
        while len(self.agencies) < self.budget:
            pcode, prn, poffice = self.province(p_index)
            p_index += 1
            p_gov = next(a.record.code for a in reversed(self.agencies)
                         if a.record.kind == "government" and a.record.region == pcode)
            n_cities = rng.randint(_scaled(8, d, 2), _scaled(14, d, 2))
            city_codes: dict[str, int] = {"first": 1, "other": 21}
            used: set[int] = set()
            for i in range(n_cities):
                if i and len(self.agencies) >= self.budget:
                    break  # every province has a city, every city a county
                crn = names.city_name(rng, prn.suffix == "自治区")
                while crn.name in self.used_cities:
                    crn = names.city_name(rng, prn.suffix == "自治区")
                self.used_cities.add(crn.name)
                ccode = pcode[:2] + f"{_next(city_codes, 'first' if crn.suffix == '市' else 'other', used):02d}00"
                self.regions.append(Region(ccode, crn.name, "city", pcode))
                c_gov, c_office = self.level_agencies(crn, ccode, "city", "", (prn.name, crn.name), poffice, p_gov,
                                                    alias_prefix=prn.name)
                n_counties = rng.randint(_scaled(5, d, 2), _scaled(12, d, 2))
                self.counties(crn, ccode, (prn.name, crn.name), n_counties, c_office, c_gov)
        return Country(self.regions, self.agencies)

    def counties(self, crn: RegionName, ccode: str, folder: tuple[str, str], n: int, c_office: str,
                 c_gov: str) -> None:
        rng = self.rng
        seq = {"区": 2, "县": 21, "旗": 21, "市": 81}
        used: set[int] = set()
        taken: set[str] = set()
        for i in range(n):
            if i and len(self.agencies) >= self.budget:
                return
            suffix = names.county_suffix(rng, crn)
            krn = names.county_name(rng, suffix)
            while krn.name in taken:
                krn = names.county_name(rng, suffix)
            taken.add(krn.name)
            kcode = ccode[:4] + f"{_next(seq, suffix, used):02d}"
            self.regions.append(Region(kcode, krn.name, "county", ccode))
            kfolder = (*folder, krn.name)
            k_gov, k_office = self.level_agencies(krn, kcode, "county", crn.short, kfolder, c_office, c_gov)
            n_towns = rng.randint(_scaled(8, self.d, 2), _scaled(20, self.d, 3))
            tseq = {"街道": 1, "镇": 100, "乡": 200}
            tused: set[int] = set()
            tnames: set[str] = set()
            for _ in range(n_towns):
                tsuffix = names.township_suffix(rng, krn)
                trn = names.township_name(rng, tsuffix)
                while trn.name in tnames:
                    trn = names.township_name(rng, tsuffix)
                tnames.add(trn.name)
                tcode = kcode + f"{_next(tseq, tsuffix, tused, limit=999):03d}"
                self.regions.append(Region(tcode, trn.name, "township", kcode))
                full, aliases = names.township_names(trn, krn)
                self._add(full, "township", tcode, "township", "township", kfolder, k_gov, k_office,
                          (crn.short + full, *aliases), trn, "", (full, aliases[0]))


def _next(seq: dict[str, int], key: str, used: set[int], limit: int = 99) -> int:
    """The next free number of a code series (区 02…, 县 21…, 市 81…), skipping any taken."""
    n = seq[key]
    while n in used or n == 0:
        n += 1
    if n > limit:
        n = next((i for i in range(1, limit + 1) if i not in used), 0)
        if not n:
            raise XxgkError("country-too-large", "国家规模过大：行政区划代码已用完，请减少报告数",
                            "the country is too large: region codes are exhausted; ask for fewer reports")
    used.add(n)
    seq[key] = n + 1
    return n


def build_country(budget: int, seed: int) -> Country:
    """The regions and agencies of a country of about ``budget`` agencies (at least one county)."""
    return _Builder(max(1, budget), seed).build()
