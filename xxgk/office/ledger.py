"""An agency's existing request ledger (台账) in, and any list of requests out, as XLSX or CSV.

Import reads the ledger the office kept before (Excel or WPS, or a CSV Excel saved as GBK), maps
its Chinese column headers to the fields of :class:`xxgk.office.service.RequestIn`, and checks every
row twice:

1. In the file (:func:`read_ledger`): dates (date cells, ``2024-09-27``, ``2024/9/27``,
   ``2024.9.27``, ``2024年9月27日``, Excel serial numbers), applicant kinds, channels and outcomes
   (the outcome in the template of the decision's year), required fields, field lengths, tracking
   numbers repeated in the file, a decision before receipt.
2. Against the database (:func:`import_ledger`): each row that passed is registered by the
   service's own code (``Office.check_requests``) in a transaction of its own that is always rolled
   back. So a row is refused for exactly the reasons the service would refuse it (a tracking
   number already in the database, a date after today, a year the working-day calendar does not
   know, an outcome the request's history does not allow), with no second copy of those rules here.

The rows that pass both are then written by ``Office.add_requests``: with ``strict``, all in one
transaction (nothing is written unless everything is); otherwise in transactions of ``CHUNK`` rows,
so a long import holds the database's write lock only a moment at a time and other clerks are not
kept waiting (a chunk that fails after all is taken row by row, each bad row reported). A dry run
replays one call in a transaction that is rolled back, so it reports exactly what an import would
take, generated tracking numbers included.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xxgk.errors import XxgkError
from xxgk.office.vocab import CHANNELS, applicant_kinds, outcome_for, outcomes, resolve, resolve_channel
from xxgk.safetext import FORMULA_START, sheet_value

if TYPE_CHECKING:
    from xxgk.office.service import Office, RequestView

MAX_BYTES = 20 * 1024 * 1024  # a ledger file, as stored
MAX_UNZIPPED = 200 * 1024 * 1024  # an XLSX, unpacked (a zip bomb is refused before openpyxl sees it)
MAX_ROWS = 100_000
CHUNK = 200  # rows written per transaction by a non-strict import

# ---------------------------------------------------------------- fields and their headers

# our field -> (Chinese name, English name) for messages
FIELDS: dict[str, tuple[str, str]] = {
    "tracking_no": ("申请编号", "tracking number"),
    "applicant_name": ("申请人", "applicant name"),
    "applicant_kind": ("申请人类型", "applicant kind"),
    "id_type": ("证件类型", "ID type"),
    "id_number": ("证件号码", "ID number"),
    "phone": ("联系电话", "phone"),
    "email": ("电子邮箱", "email"),
    "address": ("通讯地址", "address"),
    "channel": ("申请方式", "channel"),
    "received_on": ("收到日期", "received date"),
    "submitted_on": ("提交日期", "submitted date"),
    "description": ("申请内容", "description"),
    "form": ("获取方式", "form"),
    "decided_on": ("答复日期", "decision date"),
    "outcome": ("办理结果", "outcome"),
}

# our field -> the headers a ledger commonly uses for it, the preferred first
DEFAULT_HEADERS: dict[str, tuple[str, ...]] = {
    "tracking_no": ("申请编号", "编号", "受理编号"),
    "applicant_name": ("申请人", "申请人姓名", "申请人名称"),
    "applicant_kind": ("申请人类型", "申请人类别"),
    "id_type": ("证件类型",),
    "id_number": ("证件号码", "身份证号"),
    "phone": ("联系电话", "电话"),
    "email": ("电子邮箱", "邮箱"),
    "address": ("地址", "通讯地址"),
    "channel": ("申请方式", "申请渠道", "渠道"),
    "received_on": ("收到日期", "受理日期", "申请日期"),
    "submitted_on": ("提交日期",),
    "description": ("申请内容", "申请公开内容", "内容"),
    "form": ("获取方式", "提供形式"),
    "decided_on": ("答复日期", "办结日期"),
    "outcome": ("办理结果", "答复结果", "处理结果"),
}

REQUIRED = ("applicant_name", "applicant_kind", "channel", "received_on", "description")
DATE_FIELDS = ("received_on", "submitted_on", "decided_on")
APPLICANT_FIELDS = {"applicant_name": "name", "id_type": "id_type", "id_number": "id_number",
                    "phone": "phone", "email": "email", "address": "address"}

# what officers write in the 申请方式 column, beyond our keys and labels
APPLICANT_KIND_ALIASES = {"natural": ["个人", "公民"], "commercial": ["企业"], "other_org": ["其他组织"]}


def _max_lengths() -> dict[str, int]:
    """The database's column lengths, so SQLite (which does not enforce them) refuses what PostgreSQL would."""
    from xxgk.office.db import Applicant, Request

    cols = {"tracking_no": Request.__table__.c.tracking_no, "form": Request.__table__.c.form}
    cols |= {f: Applicant.__table__.c[col] for f, col in APPLICANT_FIELDS.items()}
    return {f: c.type.length for f, c in cols.items() if getattr(c.type, "length", None)}


# ---------------------------------------------------------------- rows


@dataclass(frozen=True)
class LedgerRow:
    """One data row of a ledger: its row number as Excel shows it, and either the dict for
    ``Office.add_requests`` (``data``) or why it cannot be taken (``error``: Chinese, English)."""

    row: int
    data: dict[str, Any] | None
    error: tuple[str, str] | None = None
    tracking_no: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ImportResult:
    taken: list[str] = field(default_factory=list)  # tracking numbers, in the ledger's order
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (row, 中文, English), by row
    dry_run: bool = False
    strict: bool = False

    @property
    def written(self) -> int:
        return 0 if self.dry_run else len(self.taken)


def _norm_header(v: Any) -> str:
    s = unicodedata.normalize("NFKC", "" if v is None else str(v))
    return re.sub(r"\s+", "", s).strip("*:")


def _strip_parens(s: str) -> str:
    return re.sub(r"\([^)]*\)", "", s)  # NFKC turned （） into ()


def _columns(header: Sequence[Any], mapping: dict[str, str] | None, name: str) -> dict[str, int]:
    """Our field -> column index, from the header row; a clear error if required columns are missing."""
    mapping = dict(mapping or {})
    unknown = [k for k in mapping if k not in FIELDS]
    if unknown:
        raise XxgkError("bad-mapping", f"列映射中的未知字段：{'、'.join(unknown)}；可用字段：{'、'.join(FIELDS)}",
                        f"unknown field(s) in the column mapping: {', '.join(unknown)}; "
                        f"fields are: {', '.join(FIELDS)}")
    heads = [_norm_header(h) for h in header]
    shown = "、".join(str(h).strip() for h in header if h is not None and str(h).strip()) or "（空）"
    cols: dict[str, int] = {}
    for f in FIELDS:
        if f in mapping:
            want = _norm_header(mapping[f])
            if want not in heads:
                raise XxgkError("bad-mapping", f"列映射中的“{mapping[f]}”不在{name}的表头中；表头为：{shown}",
                                f"mapped column '{mapping[f]}' is not in the header of {name}; "
                                f"the header is: {shown}")
            cols[f] = heads.index(want)
            continue
        for alias in DEFAULT_HEADERS[f]:
            if alias in heads:
                cols[f] = heads.index(alias)
                break
        else:
            loose = [_strip_parens(h) for h in heads]
            for alias in DEFAULT_HEADERS[f]:
                if alias in loose:
                    cols[f] = loose.index(alias)
                    break
    missing = [f for f in REQUIRED if f not in cols]
    if missing:
        zh = "；".join(f"{FIELDS[f][0]}（列名可为：{'、'.join(DEFAULT_HEADERS[f])}）"
                      for f in missing)
        en = ", ".join(FIELDS[f][1] for f in missing)
        raise XxgkError("not-ledger", f"不是申请台账，或表头不能识别：{name} 缺少必需的列：{zh}。表头为：{shown}"
                        "（可用列映射指定）",
                        f"not a request ledger, or its header is not recognised: {name} lacks the required "
                        f"column(s): {en}; the header is: {shown} (a column mapping can name them)")
    return cols


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        s = "是" if v else "否"
    elif isinstance(v, float) and v.is_integer():
        s = str(int(v))
    elif isinstance(v, dt.datetime):
        s = v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    else:
        s = str(v)
    s = s.strip().replace("\u3000", " ").strip()
    if len(s) > 1 and s[0] == "'" and s[1:].startswith(FORMULA_START):
        s = s[1:]  # our own export's guard against formula injection (xxgk.safetext.neutralise)
    return s or None


_ISO = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_ZH = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"\d{1,7}(?:\.\d+)?")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(v: Any) -> dt.date | None:
    """A ledger's date cell as a date; None if it is not one (never a guess)."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return _serial(float(v))
    spaced = unicodedata.normalize("NFKC", str(v)).strip()
    s = re.sub(r"\s+", "", spaced)
    for m, groups in ((_ISO.fullmatch(spaced), (1, 3, 4)), (_ZH.fullmatch(s), (1, 2, 3)),
                      (_COMPACT.fullmatch(s), (1, 2, 3))):
        if m:
            try:
                return dt.date(*(int(m.group(g)) for g in groups))
            except ValueError:
                return None
    if _SERIAL.fullmatch(s):
        return _serial(float(s))
    return None


def _serial(x: float) -> dt.date | None:
    if not 1 <= x < 2958466:  # Excel's own range: 1900-01-01 to 9999-12-31
        return None
    return _EXCEL_EPOCH + dt.timedelta(days=int(x))


def _channel(v: str) -> str:
    return resolve_channel(v)


def _row(n: int, cells: Sequence[Any], cols: dict[str, int], lengths: dict[str, int]) -> LedgerRow:
    raw = {f: cells[i] if i < len(cells) else None for f, i in cols.items()}
    errors: list[tuple[str, str]] = []
    text = {f: _text(v) for f, v in raw.items() if f not in DATE_FIELDS}

    for f in REQUIRED:
        if (text.get(f) if f not in DATE_FIELDS else _text(raw.get(f))) is None:
            errors.append((f"缺少{FIELDS[f][0]}", f"{FIELDS[f][1]} is missing"))
    for f, limit in lengths.items():
        if text.get(f) and len(text[f]) > limit:  # type: ignore[arg-type]
            errors.append((f"{FIELDS[f][0]}超过{limit}个字符", f"{FIELDS[f][1]} is longer than {limit} characters"))

    dates: dict[str, dt.date | None] = {}
    for f in DATE_FIELDS:
        shown = _text(raw.get(f))
        if shown is None:
            dates[f] = None
            continue
        dates[f] = parse_date(raw[f])
        if dates[f] is None:
            errors.append((f"{FIELDS[f][0]}“{shown}”无法识别", f"{FIELDS[f][1]} '{shown}' is not a date"))

    kind = channel = outcome = None
    try:
        if text.get("applicant_kind"):
            kind = resolve(text["applicant_kind"], applicant_kinds(), "申请人类型", "applicant kind",
                           APPLICANT_KIND_ALIASES)  # type: ignore[arg-type]
    except XxgkError as e:
        errors.append((e.message, e.message_en))
    try:
        if text.get("channel"):
            channel = _channel(text["channel"])  # type: ignore[arg-type]
    except XxgkError as e:
        errors.append((e.message, e.message_en))

    received, decided = dates["received_on"], dates["decided_on"]
    if text.get("outcome") and _text(raw.get("decided_on")) is None:
        errors.append(("有办理结果但缺少答复日期", "an outcome without its decision date"))
    elif decided is not None and not text.get("outcome"):
        errors.append(("有答复日期但缺少办理结果", "a decision date without its outcome"))
    elif decided is not None:
        try:
            outcome, _ = outcome_for(text["outcome"], decided.year)  # type: ignore[arg-type]
        except XxgkError as e:
            errors.append((e.message, e.message_en))
    if received and decided and decided < received:
        errors.append((f"答复日期 {decided} 早于收到日期 {received}",
                       f"decided on {decided}, before it was received ({received})"))

    tracking = text.get("tracking_no")
    if errors:
        return LedgerRow(n, None, ("；".join(zh for zh, _ in errors), "; ".join(en for _, en in errors)), tracking)
    applicant = {"kind": kind, **{col: text.get(f) for f, col in APPLICANT_FIELDS.items()}}
    data = {
        "applicant": applicant, "channel": channel, "received_on": received, "submitted_on": dates["submitted_on"],
        "description": text["description"], "form": text.get("form"), "tracking_no": tracking,
        "decided_on": decided, "outcome": outcome,
    }
    return LedgerRow(n, data, None, tracking)


def _with_row(r: LedgerRow, zh: str, en: str) -> LedgerRow:
    if r.error:
        zh, en = f"{r.error[0]}；{zh}", f"{r.error[1]}; {en}"
    return LedgerRow(r.row, None, (zh, en), r.tracking_no)


def _rows(records: Iterable[tuple[int, Sequence[Any]]], mapping: dict[str, str] | None,
          name: str) -> list[LedgerRow]:
    cols: dict[str, int] | None = None
    lengths = _max_lengths()
    out: list[LedgerRow] = []
    for n, cells in records:
        filled = [c for c in cells if _text(c) is not None]
        if not filled:
            continue
        if cols is None:
            if len(filled) < 2:
                continue  # a title above the header (one merged cell), not the header
            cols = _columns(cells, mapping, name)
            continue
        if len(out) >= MAX_ROWS:
            raise XxgkError("too-large", f"台账超过 {MAX_ROWS} 行：{name}",
                            f"the ledger has over {MAX_ROWS} rows: {name}")
        out.append(_row(n, cells, cols, lengths))
    if cols is None:
        raise XxgkError("not-ledger", f"不是申请台账：{name} 没有表头行", f"not a request ledger: {name} has no header row")
    # a tracking number used twice: the first row keeps it, later rows are refused
    seen: dict[str, int] = {}
    for i, r in enumerate(out):
        if r.tracking_no is None:
            continue
        if r.tracking_no in seen:
            first = seen[r.tracking_no]
            out[i] = _with_row(r, f"申请编号“{r.tracking_no}”与第{first}行重复",
                               f"tracking number '{r.tracking_no}' repeats row {first}")
        else:
            seen[r.tracking_no] = r.row
    return [LedgerRow(r.row, None, (f"第{r.row}行：{r.error[0]}", f"row {r.row}: {r.error[1]}"), r.tracking_no)
            if r.error else r for r in out]


# ---------------------------------------------------------------- files


def _not_ledger(name: str, why_zh: str, why_en: str) -> XxgkError:
    return XxgkError("not-ledger", f"不是台账文件（应为 XLSX 或 CSV）：{name}（{why_zh}）",
                     f"not a ledger file (expected XLSX or CSV): {name} ({why_en})")


def read_ledger(path: Path, mapping: dict[str, str] | None = None, sheet: str | None = None) -> list[LedgerRow]:
    """The data rows of a ledger (XLSX, or CSV in UTF-8, UTF-8 with BOM or GB18030/GBK), each
    checked on its own: no database is needed. ``mapping`` maps our field names (see
    :data:`FIELDS`) to the ledger's headers, for the fields whose headers are not the usual ones."""
    path = Path(path)
    data = _checked_bytes(path)
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, mapping, sheet)
    return _rows(_csv_records(data, path.name), mapping, path.name)


def _checked_bytes(path: Path) -> bytes:
    """A ledger file's bytes, after the checks every ledger gets: it exists and is a file, is not
    empty, not over 20 MB (checked before reading), not an old .xls, not a fake .xlsx."""
    name = path.name
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise IsADirectoryError(path)
    except OSError as e:
        why = e.strerror or type(e).__name__
        raise XxgkError("not-found", f"无法读写文件：{path}（{why}）",
                        f"cannot read the ledger file: {path} ({why})") from None
    if size > MAX_BYTES:
        raise XxgkError("too-large", f"台账文件超过 20 MB：{name}（{size / 1024 / 1024:.1f} MB）",
                        f"the ledger file is over 20 MB: {name} ({size / 1024 / 1024:.1f} MB)")
    if size == 0:
        raise XxgkError("not-ledger", f"台账文件是空的：{name}", f"the ledger file is empty: {name}")
    data = path.read_bytes()
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise XxgkError("not-ledger", f"{name} 是旧版 Excel（.xls）或其他 Office 97–2003 文件："
                        "请在 Excel/WPS 中另存为 .xlsx 或 CSV",
                        f"{name} is an old Excel (.xls) or other Office 97–2003 file: save it as .xlsx or CSV")
    if not data.startswith(b"PK\x03\x04") and path.suffix.lower() in (".xlsx", ".xlsm"):
        raise _not_ledger(name, "扩展名为 .xlsx，内容却不是 XLSX", "named .xlsx but its content is not XLSX")
    return data


def _csv_records(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    """The rows of a CSV (or tab-separated) file, numbered as a spreadsheet shows them."""
    from xxgk.readers.text import decode_text

    try:
        text, _ = decode_text(data, name)
    except XxgkError as e:
        raise _not_ledger(name, e.message, e.message_en) from None
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        return list(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1))
    except csv.Error as e:
        raise _not_ledger(name, f"CSV 格式错误：{e}", f"bad CSV: {e}") from None


@contextmanager
def _workbook(path: Path) -> Iterator[Any]:
    """An XLSX workbook, read-only, after the zip-bomb check."""
    from openpyxl import load_workbook

    name = path.name
    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise _not_ledger(name, f"压缩包损坏：{e}", f"broken zip container: {e}") from None
    if unpacked > MAX_UNZIPPED:
        raise XxgkError("too-large", f"台账文件解压后超过 200 MB：{name}",
                        f"the ledger file unpacks to over 200 MB: {name}")
    from xxgk.readers.xlsx import refuse_dtd

    with zipfile.ZipFile(path) as z:
        refuse_dtd(z, name, "not-ledger")  # the sheets are parsed lazily, after this function returns
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds on a zip that is not a workbook
        raise _not_ledger(name, f"无法作为 XLSX 打开：{type(e).__name__}",
                          f"cannot open it as XLSX: {type(e).__name__}") from None
    try:
        yield wb
    finally:
        wb.close()


def _read_xlsx(path: Path, mapping: dict[str, str] | None, sheet: str | None) -> list[LedgerRow]:
    name = path.name
    with _workbook(path) as wb:
        sheets = wb.worksheets
        if sheet is not None:
            if sheet not in wb.sheetnames:
                raise XxgkError("unknown-sheet", f"{name} 中没有工作表“{sheet}”；工作表有：{'、'.join(wb.sheetnames)}",
                                f"{name} has no sheet '{sheet}'; its sheets are: {', '.join(wb.sheetnames)}")
            sheets = [wb[sheet]]
        first_error: XxgkError | None = None
        for ws in sheets:
            where = f"{name}［{ws.title}］" if len(wb.sheetnames) > 1 else name
            try:
                return _rows(_sheet_rows(ws, name), mapping, where)
            except XxgkError as e:
                if e.code != "not-ledger" or sheet is not None:
                    raise
                first_error = first_error or e
        raise first_error or _not_ledger(name, "没有工作表", "no worksheet")


# ---------------------------------------------------------------- administrative ledgers

# a header names the field when it contains one of these words (编号, 决定文号, 收费票据号 …)
ACTION_HEADERS = {
    "ref": ("编号", "文号", "案号", "票据号", "流水号", "ref"),
    "on": ("日期", "时间", "date"),
    "amount": ("金额", "amount"),
}


def read_actions(path: Path) -> list[tuple[str, dt.date, Decimal | None]]:
    """An administrative ledger (licensing, penalty, coercion decisions, or fee income): its number,
    date and (for fees) amount in 元, from CSV or XLSX with the same safety checks as request ledgers.
    Every bad row is listed; none is taken unless all are good."""
    path = Path(path)
    records = _raw_records(path)
    cols: dict[str, int] = {}
    out: list[tuple[str, dt.date, Decimal | None]] = []
    bad: list[tuple[str, str]] = []
    for n, row in records:
        cells = list(row)
        if all(_text(c) is None for c in cells):
            continue
        if not cols:
            names = [_norm_header(_text(c) or "") for c in cells]
            found: dict[str, int] = {}
            for fld, options in ACTION_HEADERS.items():
                idx = next((i for i, h in enumerate(names) if any(_norm_header(x) in h for x in options)), None)
                if idx is not None:
                    found[fld] = idx
            if "ref" in found and "on" in found:
                cols = found
                continue  # the header row
            cols = {"ref": 0, "on": 1, "amount": 2}  # no header: number, date[, amount] by position

        def get(fld: str, cells: list[Any] = cells, cols: dict[str, int] = cols) -> Any:
            i = cols.get(fld)
            return cells[i] if i is not None and i < len(cells) else None

        ref, on, amount = _text(get("ref")), parse_date(get("on")), get("amount")
        if ref is None:
            bad.append((f"第{n}行缺少编号", f"row {n}: no number"))
            continue
        if on is None:
            raw = _text(get("on")) or ""
            bad.append((f"第{n}行日期“{raw}”无法识别", f"row {n}: date {raw!r} is not a date"))
            continue
        value: Decimal | None = None
        if _text(amount) is not None:
            try:
                value = Decimal(str(amount).replace(",", "").replace("，", "").strip())
            except InvalidOperation:
                bad.append((f"第{n}行金额“{amount}”无法识别", f"row {n}: amount {amount!r} is not a number"))
                continue
        out.append((ref, on, value))
    if bad:
        raise XxgkError("bad-ledger", f"{path.name}：{len(bad)} 行有误，未导入：{'；'.join(z for z, _ in bad[:5])}"
                        + ("……" if len(bad) > 5 else ""),
                        f"{path.name}: {len(bad)} bad rows, nothing imported ({'; '.join(e for _, e in bad[:5])})")
    return out


def _raw_records(path: Path) -> list[tuple[int, Sequence[Any]]]:
    """The rows of a CSV file or of an XLSX file's first sheet (spreadsheet row numbers)."""
    data = _checked_bytes(path)
    if not data.startswith(b"PK\x03\x04"):
        return _csv_records(data, path.name)[:MAX_ROWS + 1]
    with _workbook(path) as wb:
        return list(islice(_sheet_rows(wb.worksheets[0], path.name), MAX_ROWS + 1))


def _sheet_rows(ws: Any, name: str) -> Iterator[tuple[int, Sequence[Any]]]:
    """A read-only sheet's rows, numbered; openpyxl parses the sheet as they are read, so a
    damaged sheet fails here, as one line."""
    try:
        yield from enumerate(ws.iter_rows(min_row=1, values_only=True), 1)
    except Exception as e:  # openpyxl and the XML parser raise many kinds on a damaged sheet
        raise _not_ledger(name, f"工作表已损坏：{type(e).__name__}", f"a damaged sheet: {type(e).__name__}") from None


# ---------------------------------------------------------------- import


def import_ledger(office: Office, agency: str, path: Path, *, mapping: dict[str, str] | None = None,
                  dry_run: bool = False, strict: bool = False, today: dt.date | None = None,
                  sheet: str | None = None) -> ImportResult:
    """Import ``agency``'s ledger at ``path`` into ``office`` (an :class:`~xxgk.office.service.Office`).

    Bad rows are reported in ``rejected`` with their reason. Not strict: the good rows are written
    in transactions of ``CHUNK`` rows (other clerks write in between). Strict: one transaction, and
    nothing is written if any row is bad. Dry run: nothing is written; the result is what the
    import would do.
    """
    today = today or dt.date.today()
    office.agency(agency)  # an unknown agency is an error before the file is read
    rows = read_ledger(path, mapping, sheet)
    rejected = [(r.row, *r.error) for r in rows if r.error]
    good: list[LedgerRow] = []
    for r in rows:
        if r.error:
            continue
        err = _check_row(office, agency, r.data, today)  # type: ignore[arg-type]
        if err is None and r.tracking_no is None:
            same = _same(office, agency, r.data)  # type: ignore[arg-type]
            if same:
                err = (f"与已登记的申请 {same} 相同（申请人、收到日期、内容一致），未重复导入",
                       f"the same as request {same} already registered (applicant, date, text): not imported twice")
        if err is None:
            good.append(r)
        else:
            rejected.append((r.row, f"第{r.row}行：{err[0]}", f"row {r.row}: {err[1]}"))
    rejected.sort()
    result = ImportResult(rejected=rejected, dry_run=dry_run, strict=strict)
    if not good or (strict and rejected):
        return result
    # rows with their own tracking numbers first, so a generated number never takes one the ledger uses
    order = sorted(good, key=lambda r: (r.tracking_no is None, r.row))
    if dry_run:
        views = _rehearse(office, agency, [r.data for r in order], today)  # type: ignore[misc]
        by_row = {r.row: v.tracking_no for r, v in zip(order, views, strict=True)}
    elif strict:
        views = office.add_requests(agency, [r.data for r in order], today=today)  # type: ignore[misc]
        by_row = {r.row: v.tracking_no for r, v in zip(order, views, strict=True)}
    else:
        by_row = _write_in_chunks(office, agency, order, today, result)
    result.taken = [by_row[r.row] for r in good if r.row in by_row]
    return result


def _write_in_chunks(office: Office, agency: str, order: list[LedgerRow], today: dt.date,
                     result: ImportResult) -> dict[int, str]:
    """Write the rows CHUNK at a time; a chunk refused (another clerk took a number meanwhile) is
    written row by row, each row that fails rejected with its reason."""
    by_row: dict[int, str] = {}
    for i in range(0, len(order), CHUNK):
        chunk = order[i:i + CHUNK]
        try:
            views = office.add_requests(agency, [r.data for r in chunk], today=today)  # type: ignore[misc]
        except XxgkError:
            for r in chunk:
                try:
                    by_row[r.row] = office.add_request(agency, r.data, today=today).tracking_no  # type: ignore[arg-type]
                except XxgkError as e:
                    result.rejected.append((r.row, f"第{r.row}行：{e.message}", f"row {r.row}: {e.message_en}"))
            result.rejected.sort()
            continue
        by_row.update((r.row, v.tracking_no) for r, v in zip(chunk, views, strict=True))
    return by_row


def _same(office: Office, agency: str, data: dict[str, Any]) -> str | None:
    received = data.get("received_on")
    if not isinstance(received, dt.date):
        received = parse_date(received)
    name = (data.get("applicant") or {}).get("name")
    if received is None or not name:
        return None
    return office.same_request(agency, str(name).strip(), received, str(data.get("description", "")).strip())


def _check_row(office: Office, agency: str, data: dict[str, Any], today: dt.date) -> tuple[str, str] | None:
    """Why the service would refuse this row (its own checks, run in a rolled-back transaction)."""
    e = office.check_requests(agency, [data], today=today)[0]
    return None if e is None else (e.message, e.message_en)


def _rehearse(office: Office, agency: str, items: list[dict[str, Any]], today: dt.date) -> list[RequestView]:
    """``Office.add_requests`` in a transaction that is rolled back: what an import would write."""
    return office.add_requests(agency, items, today=today, dry_run=True)  # type: ignore[arg-type]


# ---------------------------------------------------------------- export

# (header, RequestView attribute); the headers are ones import recognises
EXPORT_COLUMNS: list[tuple[str, str]] = [
    ("申请编号", "tracking_no"), ("年度", "year"), ("申请人", "applicant_name"), ("申请人类型", "applicant_kind"),
    ("申请方式", "channel"), ("收到日期", "received_on"), ("申请内容", "description"), ("状态", "status"),
    ("答复期限", "due_on"), ("补正期限", "correction_due_on"), ("缴费期限", "payment_due_on"),
    ("办结日期", "closed_on"), ("办理结果", "outcome"), ("是否按期办结", "on_time"), ("收费金额（元）", "fee_amount"),
]


def _export_row(v: RequestView) -> list[Any]:
    from xxgk.office.clock import STATUS_LABELS, Status
    from xxgk.template import template_for_year

    kinds = applicant_kinds()
    out: list[Any] = []
    for _, attr in EXPORT_COLUMNS:
        x = getattr(v, attr)
        if attr == "applicant_kind":
            x = kinds.get(x, x)
        elif attr == "channel":
            x = CHANNELS[x].label if x in CHANNELS else x
        elif attr == "status":
            x = STATUS_LABELS.get(Status(x), x) if x in set(Status) else x
        elif attr == "outcome" and x is not None and v.closed_on is not None:
            x = outcomes(template_for_year(v.closed_on.year)).get(x, x)
        elif attr == "on_time":
            x = None if x is None else ("是" if x else "否")
        out.append(x)
    return out


def export_requests(views: Sequence[RequestView], path: Path, fmt: str | None = None) -> Path:
    """Write ``views`` (:class:`~xxgk.office.service.RequestView`) to ``path`` as CSV (UTF-8 with
    BOM, for Excel) or XLSX, chosen by ``fmt`` or the suffix; all of it or nothing, readable by its
    owner only (it holds applicants' names). The file imports back with :func:`import_ledger`."""
    from xxgk.office.private import write_private

    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "xlsx"):
        raise XxgkError("bad-format", f"导出格式应为 csv 或 xlsx：{fmt or path.name}",
                        f"the export format must be csv or xlsx: {fmt or path.name}")
    rows = [_export_row(v) for v in views]
    data = _to_csv(rows) if fmt == "csv" else _to_xlsx(rows)
    write_private(path, data)
    return path


def _to_csv(rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([h for h, _ in EXPORT_COLUMNS])
    for row in rows:
        # text made safe (a leading ' before = + - @: import takes it off again); dates, numbers as they are
        w.writerow(["" if x is None else x.isoformat() if isinstance(x, dt.date) else sheet_value(x)
                    for x in row])
    return codecs.BOM_UTF8 + buf.getvalue().encode("utf-8")


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _to_xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "申请台账"
    ws.append([h for h, _ in EXPORT_COLUMNS])
    for c in ws[1]:
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center", vertical="center")
    widths = [_width(h) for h, _ in EXPORT_COLUMNS]
    for r, row in enumerate(rows, 2):
        for i, x in enumerate(row):
            x = sheet_value(x)  # text made safe, as every export's (xxgk.safetext)
            cell = ws.cell(r, i + 1)
            cell.value = x
            if isinstance(x, str):
                cell.data_type = "s"  # text, never a formula, whatever an applicant typed
            elif isinstance(x, dt.date):
                cell.number_format = "yyyy-mm-dd"
            shown = x.isoformat() if isinstance(x, dt.date) else "" if x is None else str(x)
            widths[i] = max(widths[i], _width(shown))
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = min(max(w + 2, 8), 60)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
