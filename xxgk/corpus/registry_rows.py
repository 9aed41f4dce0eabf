"""Registry files, row by row: headers, cells, and the checks that turn raw rows into records.

Split from :mod:`xxgk.corpus.registry` (which holds the :class:`Registry` built from them). Every
bad row becomes a :class:`RowError` with its reason (Chinese first); good rows are kept.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xxgk.agency import KINDS
from xxgk.corpus.types import LEVEL_ZH, LEVELS, AgencyRecord, Region
from xxgk.errors import XxgkError
from xxgk.safetext import neutralise

REGION_HEADERS = ("地区代码", "地区名称", "层级", "上级地区代码")
AGENCY_HEADERS = ("机关代码", "机关名称", "类别", "所在地区代码", "上级机关代码", "监督机关代码", "别名")
_R_FIELDS = ("code", "name", "level", "parent")
_A_FIELDS = ("code", "name", "kind", "region", "parent", "supervisor", "aliases")

# Normalised header -> (region field, agency field); a header with both is decided by the table.
_HEADER: dict[str, tuple[str | None, str | None]] = {}
for _names, _r, _a in (
    (("行政区划代码", "区划代码", "region_code"), "code", None),
    (("地区名称", "地区名", "region_name"), "name", None), (("层级", "级别", "地区层级", "level"), "level", None),
    (("上级地区代码", "上级地区", "上级区划代码", "parent_region", "region_parent"), "parent", None),
    (("机关代码", "单位代码", "统一社会信用代码", "agency_code"), None, "code"),
    (("机关名称", "单位名称", "机关全称", "agency_name"), None, "name"),
    (("类别", "机关类别", "单位类别", "类型", "kind"), None, "kind"),
    (("所在地区代码", "所在地区", "所属地区", "region"), None, "region"),
    (("上级机关代码", "上级机关", "上级单位", "parent_agency"), None, "parent"),
    (("监督机关代码", "监督机关", "审核机关", "supervisor"), None, "supervisor"),
    (("别名", "其他名称", "曾用名", "aliases", "alias"), None, "aliases"),
):
    for _n in _names:
        _HEADER[_n] = (_r, _a)
_HEADER.update({"地区代码": ("code", "region"), "code": ("code", "code"), "代码": ("code", "code"),
                "name": ("name", "name"), "名称": ("name", "name"), "parent": ("parent", "parent"),
                "上级代码": ("parent", "parent")})
_IGNORED = {"序号", "备注", "说明", "no", "#", "note", "notes", "remark", "remarks"}

# Values as normalised (a bracketed note such as 乡镇（街道） or 人民政府（本级政府） is dropped first).
_LEVEL = {**{lv: lv for lv in LEVELS}, "省级": "province", "省": "province", "市级": "city", "市": "city",
          "地级": "city", "地市级": "city", "县级": "county", "县": "county", "区县": "county",
          "县区": "county", "乡镇": "township", "乡级": "township", "街道": "township", "乡镇街道": "township",
          "乡镇、街道": "township"}
_KIND = {**{k: k for k in KINDS}, "人民政府": "government", "本级政府": "government", "政府": "government",
         "政府办公室": "office", "办公室": "office", "政府办公厅": "office", "政府办": "office",
         "政府部门": "department", "部门": "department", "乡镇": "township", "街道": "township",
         "乡镇、街道": "township", "乡镇街道": "township", "乡镇/街道": "township", "其他": "other",
         "其他机关": "other"}
_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.\-]{0,63}$")
_ALIAS_SPLIT = re.compile(r"[、,，;；|]")
_DROP = re.compile(r"[\s\u200b\u200c\u200d\ufeff《》“”\"'‘’「」『』·•]+")
_PAREN = re.compile(r"\([^()]*\)")
_SUFFIXES = ("自治州", "自治县", "自治旗", "街道", "省", "市", "区", "县", "旗", "州", "盟", "乡", "镇")


def norm(text: str, fast: bool = False) -> str:
    """A name as compared: full-width folded (NFKC), no spaces, quotes or bracketed notes, lower case.
    ``fast`` (a report's body, where NFKC would cost 0.1 ms a kilobyte) only drops spaces and quotes:
    a name in a body is searched by its Chinese characters, which NFKC leaves alone."""
    if fast:
        return _DROP.sub("", text or "")
    s = _DROP.sub("", unicodedata.normalize("NFKC", text or "")).lower()
    while "(" in s:
        t = _PAREN.sub("", s)
        if t == s:
            break
        s = t
    return s


def split_aliases(text: str) -> tuple[str, ...]:
    """The names in an 别名 cell, split on 、 , ， ; ； |, without blanks or repeats."""
    return tuple(dict.fromkeys(a.strip() for a in _ALIAS_SPLIT.split(text or "") if a.strip()))


def region_variants(name: str, level: str) -> list[str]:
    """Other ways a region's name is printed: without its suffix (三门峡), 县 and 区 exchanged."""
    n, out = norm(name), []
    for suf in _SUFFIXES:
        if n.endswith(suf) and len(n) - len(suf) >= 2:
            out.append(n[: -len(suf)])
            break
    if level == "county" and n[-1:] in ("县", "区") and len(n) >= 3:
        out.append(n[:-1] + ("区" if n[-1] == "县" else "县"))
    return out


@dataclass(frozen=True)
class RowError:
    """One bad row (row 1 is the header, as a spreadsheet counts) and why, in Chinese and English."""

    file: str
    row: int
    column: str | None
    reason_zh: str
    reason_en: str

    def __str__(self) -> str:
        col = f"【{self.column}】" if self.column else ""
        return f"{self.file} 第{self.row}行{col}：{self.reason_zh}"


@dataclass
class _Raw:
    """A row before the checks: field -> cell text, and field -> the header it was printed under."""

    file: str
    row: int
    vals: dict[str, str]
    heads: dict[str, str]
    aliases: tuple[str, ...] | None = None  # given as records (no splitting)
    parsed: dict[str, Any] = field(default_factory=dict)


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v).strip()
    return s[1:] if s.startswith("'") and neutralise(s[1:]) == s else s  # undo the formula guard


class _Errors(list[RowError]):
    def add(self, raw: _Raw, fld: str | None, zh: str, en: str) -> None:
        col = None if fld is None else raw.heads.get(fld, fld)
        self.append(RowError(raw.file, raw.row, col, zh, en))


# ----------------------------------------------------------------------------- reading tables

def _hkey(cell: str) -> tuple[str | None, str | None] | None:
    hit = _HEADER.get(norm(cell).strip("*"))
    if hit is None and cell.split():  # "地区代码 code": the Chinese word before the English
        hit = _HEADER.get(norm(cell.split()[0]).strip("*"))
    return hit


def _header(file: str, row: int, cells: list[str], errors: _Errors) -> tuple[dict[str, int], dict[str, int]]:
    """Which column holds which region field and which agency field."""
    keys = [_hkey(c) for c in cells]
    for c, hit in zip(cells, keys, strict=True):
        if hit is None and c.strip() and norm(c) not in _IGNORED:
            errors.append(RowError(file, row, c, "未识别的列，已忽略", "unknown column, ignored"))
    only_r = any(k and k[1] is None for k in keys)
    only_a = any(k and k[0] is None for k in keys)
    rcols: dict[str, int] = {}
    acols: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k is None:
            continue
        r, a = k
        if r and a:  # a header of both kinds (code, 地区代码 …): the table's other columns decide
            if only_r and only_a and (r, a) != ("code", "region"):
                errors.append(RowError(file, row, cells[i], "此列在同时含地区和机关的表中含义不明，请用明确的列名",
                                       "ambiguous column in a table of both regions and agencies"))
                continue
            r, a = (None, a) if only_a and not only_r else (r, None)
        for f, cols in ((r, rcols), (a, acols)):
            if f and f in cols:
                errors.append(RowError(file, row, cells[i], "列重复，已忽略", "duplicate column, ignored"))
            elif f:
                cols[f] = i
    if not rcols and not acols:
        errors.append(RowError(file, row, None, "表头无法识别：第一行应为列名，如 地区代码、地区名称 或 机关代码、机关名称",
                               "header not recognised: the first row must name region or agency columns"))
    for cols, fields, need, what, whaten, names in (
        (rcols, _R_FIELDS, ("code", "name", "level"), "地区", "region", REGION_HEADERS),
        (acols, _A_FIELDS, ("code", "name", "kind", "region"), "机关", "agency", AGENCY_HEADERS),
    ):
        missing = [names[fields.index(f)] for f in need if f not in cols]
        if cols and missing:
            errors.append(RowError(file, row, None, f"{what}表缺少列：{'、'.join(missing)}，本表{what}均未读入",
                                   f"the {whaten} table lacks columns {missing}: none read"))
            cols.clear()
    return rcols, acols


def _read_table(file: str, rows: Iterable[Sequence[object]], rraw: list[_Raw], araw: list[_Raw],
                errors: _Errors) -> None:
    """Rows of one table into raw region and agency rows. The header is the first row naming a known
    column; a few rows above it (a sheet's title: 三门峡市政务公开名录) are skipped."""
    rcols: dict[str, int] | None = None
    acols: dict[str, int] = {}
    heads: list[str] = []
    above: list[tuple[int, list[str]]] = []
    for n, row in enumerate(rows, start=1):
        cells = [_cell(v) for v in row]
        if not any(cells):
            continue
        if rcols is None:
            if not any(map(_hkey, cells)) and len(above) < 5:
                above.append((n, cells))
                continue
            n, cells = (n, cells) if any(map(_hkey, cells)) else above[0]
            heads = cells
            rcols, acols = _header(file, n, cells, errors)
            continue

        def take(cols: dict[str, int], c: list[str] = cells) -> dict[str, str]:
            return {f: (c[i] if i < len(c) else "") for f, i in cols.items()}

        rv, av = take(rcols), take(acols)
        hr = {f: heads[i] for f, i in rcols.items()}
        ha = {f: heads[i] for f, i in acols.items()}
        if any(rv.values()) and any(av.values()):
            errors.append(RowError(file, n, None, "一行只能填写地区或机关之一", "a row is either a region or an agency"))
        elif any(rv.values()):
            rraw.append(_Raw(file, n, rv, hr))
        elif any(av.values()):
            araw.append(_Raw(file, n, av, ha))
    if rcols is None and above:  # no header anywhere: say so on the first row
        _header(file, above[0][0], above[0][1], errors)


def _tables(path: Path) -> list[tuple[str, list[Sequence[object]]]]:
    """The tables of a CSV (UTF-8 with or without BOM, UTF-16, GB18030) or XLSX file."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise XxgkError("registry-file", f"无法读取名录文件 {path}：{e.strerror or e}",
                        f"cannot read the registry file {path}: {e}") from None
    if data[:4] == b"PK\x03\x04":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as e:  # noqa: BLE001 - any damage to the workbook is the input's fault
            raise XxgkError("registry-file", f"名录文件 {path.name} 不是有效的 XLSX：{e}",
                            f"{path.name} is not a valid XLSX file: {e}") from None
        try:
            return [(f"{path.name}#{ws.title}", list(ws.iter_rows(values_only=True))) for ws in wb.worksheets]
        finally:
            wb.close()
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise XxgkError("registry-file", f"{path.name} 是旧版 Excel（.xls）文件，请另存为 .xlsx 或 .csv",
                        f"{path.name} is an old .xls workbook: save it as .xlsx or .csv")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise XxgkError("registry-file", f"{path.name} 的编码无法识别（应为 UTF-8 或 GB18030）",
                                f"{path.name}: unknown encoding (expected UTF-8 or GB18030)") from None
    first = text.split("\n", 1)[0]
    delim = "\t" if first.count("\t") > first.count(",") else ","
    return [(path.name, list(csv.reader(io.StringIO(text, newline=""), delimiter=delim)))]


# ----------------------------------------------------------------------------- the checks

def _ref(ref: str, codes: Mapping[str, object], names: Mapping[str, list[str]]) -> tuple[str | None, str]:
    """A reference (code, or unique name) -> (code, "") or (None, why)."""
    if ref in codes:
        return ref, ""
    hits = names.get(norm(ref), [])
    if len(hits) == 1:
        return hits[0], ""
    return None, ("ambiguous" if hits else "unknown")


def _cycles(parent: Mapping[str, str | None]) -> set[str]:
    """The codes that lie on a cycle of the parent relation."""
    state: dict[str, int] = {}
    bad: set[str] = set()
    for start in parent:
        path: list[str] = []
        c: str | None = start
        while c is not None and c in parent and c not in state:
            state[c] = 1
            path.append(c)
            c = parent[c]
        if c is not None and state.get(c) == 1:
            bad.update(path[path.index(c):])
        for p in path:
            state[p] = 2
    return bad


def _links(rows: Mapping[str, _Raw], fields: Sequence[str], noun: str, nouns_en: str,
           failed: set[str], bad: dict[str, tuple[str, str, str]]) -> dict[str, dict[str, str | None]]:
    """Resolve the reference fields (code, or unique name) of checked rows; mark the rows whose
    reference is unknown, ambiguous, themselves, on a cycle, or a bad row (until nothing changes)."""
    labels = {"parent": (f"上级{noun}", f"parent {nouns_en}"), "supervisor": ("监督机关", "supervisor")}
    names: dict[str, list[str]] = {}
    for c, r in rows.items():
        names.setdefault(norm(r.parsed["name"]), []).append(c)
    links: dict[str, dict[str, str | None]] = {f: {} for f in fields}
    for c, r in rows.items():
        for fld in fields:
            (zh, en), ref = labels[fld], r.parsed[fld]
            p, why = _ref(ref, rows, names) if ref else (None, "")
            links[fld][c] = p
            if c in bad:
                continue
            if why == "unknown" and ref in failed:
                bad[c] = (fld, f"所引用的{zh}“{ref}”本身有误，本行随之无效", f"{en} {ref} is invalid")
            elif why:
                bad[c] = (fld, f"{zh}“{ref}”" + (f"对应多个{noun}，请填写代码" if why == "ambiguous" else "不存在"),
                          f"{en} {ref} {'is ambiguous' if why == 'ambiguous' else 'not found'}")
            elif p == c:
                bad[c] = (fld, f"{zh}不能是本{noun}", f"cannot be its own {en}")
    for fld in fields:
        zh, en = labels[fld]
        for c in _cycles({c: p for c, p in links[fld].items() if c not in bad}):
            bad[c] = (fld, f"{zh}关系成环", f"the {en} links form a cycle")
    changed = True
    while changed:
        changed = False
        for c in rows:
            for fld in fields:
                ref = links[fld][c]
                if c not in bad and ref in bad:
                    bad[c] = (fld, f"所引用的{labels[fld][0]}“{ref}”（第{rows[ref].row}行）有误，本行随之无效",
                              f"refers to {ref} (row {rows[ref].row}), which is invalid")
                    changed = True
    return links


def _basic(r: _Raw, noun: str, errors: _Errors) -> bool:
    """The code and the name every row needs."""
    code, good = r.vals.get("code", ""), True
    if not code or not _CODE.match(code):
        errors.add(r, "code", f"{noun}代码“{code}”含非法字符（只可用字母、数字和 _ . -）" if code else f"缺少{noun}代码",
                   f"bad code {code!r}" if code else "code missing")
        good = False
    if not r.vals.get("name"):
        errors.add(r, "name", f"缺少{noun}名称", "name missing")
        good = False
    return good


def _dedupe(ok: list[_Raw], raws: list[_Raw], noun: str, errors: _Errors) -> tuple[dict[str, _Raw], set[str]]:
    """The first row of each code (a later identical row is dropped, a different one listed), and the
    codes of the rows already found bad."""
    out: dict[str, _Raw] = {}
    for r in ok:
        code = r.parsed["code"]
        if code not in out:
            out[code] = r
        elif out[code].parsed != r.parsed:
            first = out[code]
            errors.add(r, "code", f"{noun}代码“{code}”重复（{first.file} 第{first.row}行已有，内容不同）",
                       f"duplicate code {code} (first at {first.file} row {first.row})")
    return out, {r.vals.get("code", "") for r in raws} - set(out)


def _check_regions(rraw: list[_Raw], errors: _Errors) -> tuple[list[Region], set[str]]:
    """The good regions, and the codes of the bad ones (an agency in one is bad too)."""
    ok: list[_Raw] = []
    for r in rraw:
        good = _basic(r, "地区", errors)
        level = _LEVEL.get(norm(r.vals.get("level", "")))
        if level is None:
            errors.add(r, "level", f"层级“{r.vals.get('level', '')}”无法识别（应为 省级、市级、县级 或 乡镇（街道））",
                       f"level {r.vals.get('level', '')!r} not one of province, city, county, township")
        elif good:
            r.parsed = {"code": r.vals["code"], "name": r.vals["name"], "level": level,
                        "parent": r.vals.get("parent") or None}
            ok.append(r)
    rows, failed = _dedupe(ok, rraw, "地区", errors)
    bad: dict[str, tuple[str, str, str]] = {}
    parent = _links(rows, ("parent",), "地区", "region", failed, bad)["parent"]
    for c, p in parent.items():
        lc, lp = rows[c].parsed["level"], rows[p].parsed["level"] if p in rows else ""
        if c not in bad and p and LEVELS.index(lp) >= LEVELS.index(lc):
            bad[c] = ("parent", f"上级地区“{p}”的层级（{LEVEL_ZH[lp]}）须高于本地区（{LEVEL_ZH[lc]}）",
                      f"parent region {p} ({lp}) must be above this region ({lc})")
    _links(rows, ("parent",), "地区", "region", failed, bad)  # again: under a region found bad just now
    for c, (fld, zh, en) in bad.items():
        errors.add(rows[c], fld, zh, en)
    good = [Region(c, r.parsed["name"], r.parsed["level"], parent[c]) for c, r in rows.items() if c not in bad]
    return good, {r.vals.get("code", "") for r in rraw} - {g.code for g in good}


def _check_agencies(araw: list[_Raw], regions: Mapping[str, Region], bad_regions: set[str],
                    errors: _Errors) -> list[AgencyRecord]:
    rnames: dict[str, list[str]] = {}
    for reg in regions.values():
        rnames.setdefault(norm(reg.name), []).append(reg.code)
    ok: list[_Raw] = []
    for r in araw:
        good = _basic(r, "机关", errors)
        v = r.vals
        kind = _KIND.get(norm(v.get("kind", "")))
        if kind is None:
            errors.add(r, "kind", f"类别“{v.get('kind', '')}”无法识别（应为 人民政府、政府办公室、政府部门、乡镇/街道 或 其他）",
                       f"kind {v.get('kind', '')!r} not one of {', '.join(KINDS)}")
            good = False
        ref = v.get("region", "")
        region, why = _ref(ref, regions, rnames)
        if why:
            zh, en = ((f"所在地区“{ref}”本身有误（见地区表），本行随之无效", "is invalid") if ref in bad_regions else
                      (f"所在地区“{ref}”对应多个地区，请填写代码", "is ambiguous") if why == "ambiguous" else
                      (f"所在地区“{ref}”不存在", "not found") if ref else ("缺少所在地区", "missing"))
            errors.add(r, "region", zh, f"region {ref} {en}")
        elif good:
            aliases = r.aliases if r.aliases is not None else split_aliases(v.get("aliases", ""))
            r.parsed = {"code": v["code"], "name": v["name"], "kind": kind, "region": region,
                        "parent": v.get("parent") or None, "supervisor": v.get("supervisor") or None,
                        "aliases": tuple(a for a in aliases if a != v["name"])}
            ok.append(r)
    rows, failed = _dedupe(ok, araw, "机关", errors)
    bad: dict[str, tuple[str, str, str]] = {}
    links = _links(rows, ("parent", "supervisor"), "机关", "agency", failed, bad)
    for c, (fld, zh, en) in bad.items():
        errors.add(rows[c], fld, zh, en)
    return [AgencyRecord(c, r.parsed["name"], r.parsed["kind"], r.parsed["region"], links["parent"][c],
                         links["supervisor"][c], r.parsed["aliases"]) for c, r in rows.items() if c not in bad]


def _validate(rraw: list[_Raw], araw: list[_Raw]) -> tuple[list[Region], list[AgencyRecord], list[RowError]]:
    errors = _Errors()
    regions, bad_regions = _check_regions(rraw, errors)
    agencies = _check_agencies(araw, {r.code: r for r in regions}, bad_regions, errors)
    errors.sort(key=lambda e: (e.file, e.row))
    return regions, agencies, list(errors)


def _raw_records(regions: Iterable[Region], agencies: Iterable[AgencyRecord], file: str) -> tuple[list[_Raw], list[_Raw]]:
    rh = dict(zip(_R_FIELDS, REGION_HEADERS, strict=True))
    ah = dict(zip(_A_FIELDS, AGENCY_HEADERS, strict=True))
    rr = [_Raw(file, i, {"code": r.code, "name": r.name, "level": r.level, "parent": r.parent or ""}, rh)
          for i, r in enumerate(regions, start=1)]
    ar = [_Raw(file, i, {"code": a.code, "name": a.name, "kind": a.kind, "region": a.region,
                         "parent": a.parent or "", "supervisor": a.supervisor or ""}, ah, tuple(a.aliases))
          for i, a in enumerate(agencies, start=1)]
    return rr, ar

