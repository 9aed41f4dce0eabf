"""Synthetic annual reports with known cells, for property tests and benchmarks.

``random_cells`` draws a valid set of cells for a template (every 勾稽关系 holds), ``render`` prints
a whole report around them in one of the table layouts seen in real reports, optionally damaged
the way real reports are (a cell dropped or doubled, a row's digits run together), and
``damage_text`` applies the damage that affects the whole text (encodings, full-width digits,
Traditional characters, web-page residue). ``corpus`` yields (text, truth) pairs.

Layouts, imitating the seeds in ``shared/seeds``:

* ``tabs``: one printed row per line, cells separated by tabs (seeds 000, 002, 004);
* ``lines``: one cell per line, each line starting with a tab, a blank line between rows (003);
* ``labelline``: the first cells on the label's line separated by U+00A0, the other cells one
  per line, blank cells as empty lines (001);
* ``flat``: the whole report on one line, cells separated by single spaces.

Everything here is a pure function of its arguments (randomness comes from the ``rng`` passed in).
"""

from __future__ import annotations

import random
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from xxgk.template import Block, Row, Template, load_template

Number = int | float
Cells = dict[str, Number | None]

LAYOUTS: tuple[str, ...] = ("tabs", "lines", "labelline", "flat")
TEXT_DAMAGES: tuple[str, ...] = (
    "gbk", "gb18030", "utf8-bom", "crlf", "fullwidth", "traditional", "web",
)
APPEALS = "appeals"  # the printed-row id of the appeals table (one row of 15 cells)

NBSP = "\u00a0"
_APPLICANTS = ("natural", "commercial", "research", "social", "legal", "other_org")
_FULLWIDTH_PUNCT = str.maketrans({"（": "(", "）": ")", "，": ",", "：": ":"})


# ----------------------------------------------------------------------------- cells


def _small(rng: random.Random) -> int:
    """A small positive count: mostly 1-5, sometimes tens or hundreds."""
    r = rng.random()
    if r < 0.75:
        return rng.randint(1, 5)
    if r < 0.97:
        return rng.randint(6, 40)
    return rng.randint(41, 300)


def _count(rng: random.Random, zero_rate: float, big: bool = False) -> int:
    if rng.random() < zero_rate:
        return 0
    return rng.randint(1, 3000) if big and rng.random() < 0.3 else _small(rng)


def _money(rng: random.Random, zero_rate: float) -> Number:
    """An amount with up to 4 decimal places (an int when it has none)."""
    if rng.random() < zero_rate:
        return 0
    places = rng.randint(0, 4)
    units = rng.randint(1, 2_000_000)
    if places == 0:
        return units // 100 or 1
    value = round(units / 10**places, places)
    return int(value) if float(value).is_integer() else value


def requests_block(t: Template) -> Block:
    return t.table("requests").blocks[0]


def appeals_block(t: Template) -> Block:
    return t.table("appeals").blocks[0]


def random_cells(
    template_id: str,
    rng: random.Random,
    *,
    zero_rate: float = 0.6,
    blank_zeros: bool = False,
    blank_tables: Collection[str] = ("proactive", "requests", "appeals"),
) -> Cells:
    """A random valid set of cells for the template (every equation of the template holds).

    Most cells are zero, a few small positive numbers. With ``blank_zeros`` every zero becomes
    None, the way some reports leave empty the cells that are zero; ``blank_tables`` limits
    that to some tables (seed 001 leaves blank only the zeros of table 三).
    """
    t = load_template(template_id)
    cells: Cells = {}

    # --- proactive: no arithmetic; decimals where the column is decimal, signs where signed
    for block in t.table("proactive").blocks:
        for row in block.data_rows():
            for col in block.row_columns(row):
                cid = f"proactive.{row.key}.{col.key}"
                if col.decimal:
                    cells[cid] = _money(rng, zero_rate)
                else:
                    v = _count(rng, zero_rate, big=col.key in ("decisions", "in_force", "total", "previous"))
                    if col.signed and v and rng.random() < 0.4:
                        v = -v
                    cells[cid] = v

    # --- requests: result rows drawn, totals, carried in/out and new derived
    block = requests_block(t)
    results = [r.key for r in block.data_rows() if r.result]
    table: dict[str, dict[str, int]] = {}
    for rk in results:
        live = rng.random() >= zero_rate  # most rows are all zero
        table[rk] = {a: (_count(rng, zero_rate) if live else 0) for a in _APPLICANTS}
    table["total"] = {a: sum(table[rk][a] for rk in results) for a in _APPLICANTS}
    table["carried_out"] = {a: _count(rng, max(zero_rate, 0.8)) for a in _APPLICANTS}
    table["carried_in"] = {
        a: rng.randint(0, table["total"][a] + table["carried_out"][a]) if rng.random() > max(zero_rate, 0.7) else 0
        for a in _APPLICANTS
    }
    table["new"] = {
        a: table["total"][a] + table["carried_out"][a] - table["carried_in"][a] for a in _APPLICANTS
    }
    for row in block.data_rows():
        vals = table[row.key]
        for a in _APPLICANTS:
            cells[f"requests.{row.key}.{a}"] = vals[a]
        cells[f"requests.{row.key}.total"] = sum(vals.values())

    # --- appeals: total = the sum of the four results
    ab = appeals_block(t)
    for row in ab.data_rows():
        live = rng.random() >= zero_rate
        parts = {c: (_count(rng, zero_rate) if live else 0) for c in ("upheld", "corrected", "other", "pending")}
        for c, v in parts.items():
            cells[f"appeals.{row.key}.{c}"] = v
        cells[f"appeals.{row.key}.total"] = sum(parts.values())

    ordered = {cid: cells[cid] for cid in t.cell_ids}
    if blank_zeros:
        ordered = {
            cid: (None if v == 0 and cid.split(".", 1)[0] in blank_tables else v)
            for cid, v in ordered.items()
        }
    return ordered


def check_cells(template_id: str, cells: Cells) -> list[str]:
    """The equations of the template that ``cells`` violate (None counts as 0)."""
    t = load_template(template_id)
    bad = []
    for eq in t.equations:
        lhs = sum(cells[c] or 0 for c in eq.lhs)
        rhs = sum(cells[c] or 0 for c in eq.rhs)
        if abs(lhs - rhs) > 1e-9:
            bad.append(f"{eq.rule}@{eq.where}")
    return bad


# ----------------------------------------------------------------------------- damage spec


@dataclass(frozen=True)
class Damage:
    """Damage to the printed tables, so the generator knows exactly which cells are affected.

    A printed row is named ``"table.row"`` (``"requests.new"``, ``"proactive.rules"``) or
    ``"appeals"`` for the appeals table's single printed row of 15 cells; a column by its index
    in that printed row.
    """

    drop: tuple[tuple[str, int], ...] = ()  # the cell is not printed (6 numbers for 7 columns)
    double: tuple[tuple[str, int], ...] = ()  # the cell is printed twice (8 for 7)
    run_together: tuple[str, ...] = ()  # the row's digits printed with no separator ("规章308")

    def rows(self) -> set[str]:
        return {r for r, _ in self.drop} | {r for r, _ in self.double} | set(self.run_together)

    def is_empty(self) -> bool:
        return not (self.drop or self.double or self.run_together)


NO_DAMAGE = Damage()


def printed_rows(template_id: str) -> dict[str, list[str]]:
    """Each printed row's cell ids, in print order."""
    t = load_template(template_id)
    out: dict[str, list[str]] = {}
    for table in t.tables:
        for block in table.blocks:
            if block.layout == "flat":
                out[APPEALS] = [cid for row in block.data_rows() for cid in block.cell_ids(row)]
                continue
            for row in block.data_rows():
                out[f"{table.key}.{row.key}"] = block.cell_ids(row)
    return out


def damaged_cells(template_id: str, damage: Damage) -> set[str]:
    """The cells whose printed form the damage changes (a run-together row: all its cells)."""
    rows = printed_rows(template_id)
    out: set[str] = set()
    for r, i in damage.drop + damage.double:
        out.add(rows[r][i])
    for r in damage.run_together:
        out.update(rows[r])
    return out


def random_damage(
    template_id: str, rng: random.Random, *, max_rows: int = 2, kinds: Sequence[str] = ("drop", "double", "run")
) -> Damage:
    """Damage on 1..max_rows distinct printed rows (one kind per row): a requests row loses or
    doubles a cell; a proactive row or the appeals row has its digits run together."""
    rows = printed_rows(template_id)
    names = sorted(rows)
    chosen = rng.sample(names, rng.randint(1, max_rows))
    drop: list[tuple[str, int]] = []
    double: list[tuple[str, int]] = []
    run: list[str] = []
    for r in chosen:
        if not r.startswith("requests."):
            # rows without arithmetic of their own: only their digits run together
            if "run" in kinds:
                run.append(r)
            continue
        kind = rng.choice([k for k in kinds if k != "run"] or ["drop"])
        if kind == "double":
            double.append((r, rng.randrange(len(rows[r]))))
        else:
            drop.append((r, rng.randrange(len(rows[r]))))
    return Damage(tuple(drop), tuple(double), tuple(run))


# ----------------------------------------------------------------------------- rendering


def fmt(v: Number | None) -> str:
    """A cell as printed: blank for None, integers plainly, decimals as written."""
    if v is None:
        return ""
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        return repr(v)
    return str(v)


@dataclass
class _Style:
    """Per-report choices of wording and punctuation (drawn once per report)."""

    layout: str
    blank: bool  # the cells hold blanks (the table writes zeros as blanks)
    ascii_punct: bool = False
    residue: int = 0  # empty cells between a row's labels and its values (tabs layout)
    social_label: str = "社会公益组织"
    fees_label: str = "本年收费金额（单位：万元）"
    break_labels: bool = False
    label_cells: dict[str, int] = field(default_factory=dict)  # labelline: cells on the label line

    def p(self, s: str) -> str:
        return s.translate(_FULLWIDTH_PUNCT) if self.ascii_punct else s

    def num(self, numbering: str) -> str:
        """Numbering as printed: "（一）" or "(一) " as in seeds 002/004."""
        if self.ascii_punct and numbering.startswith("（"):
            return numbering.translate(_FULLWIDTH_PUNCT) + " "
        return numbering


def _cells_of(cells: Cells, ids: list[str], row_id: str, damage: Damage) -> list[str] | str:
    """The printed cells of one row after damage; a str when the row is run together."""
    vals = [fmt(cells[c]) for c in ids]
    if row_id in damage.run_together:
        return "".join(vals)
    drops = sorted((i for r, i in damage.drop if r == row_id), reverse=True)
    doubles = sorted((i for r, i in damage.double if r == row_id), reverse=True)
    for i in doubles:
        vals.insert(i, vals[i])
    for i in drops:
        del vals[i]
    return vals


def _requests_layout(t: Template, style: _Style) -> list[tuple[Row, list[str]]]:
    """For each data row of table 三: the label cells printed before its values, in the shape of
    the seeds: a group label in the first row of its group, an empty indent cell elsewhere."""
    block = requests_block(t)
    out: list[tuple[Row, list[str]]] = []
    pending: list[Row] = []

    def label(r: Row) -> str:
        return style.num(r.numbering) + style.p(r.label.text)

    for row in block.rows:
        if row.group:
            pending.append(row)
            continue
        own = label(row)
        if style.break_labels and style.layout in ("lines", "labelline") and len(own) > 10:
            cut = len(own) // 2
            own = own[:cut] + " " + own[cut:]  # seed 003: "已 获取信息"
        if row.key in ("new", "carried_in", "carried_out"):
            labels = [own]
        elif row.numbering.startswith("（"):
            # （一）予以公开 … （七）总计: beside the 三、本年度办理结果 column
            labels = [label(pending[-1]) if pending else "", own]
        else:
            # 1. 2. …: beside their group's column
            labels = ["", label(pending[-1]) if pending else "", own]
        pending = []
        out.append((row, labels))
    return out


# --- one printed row in each layout


def _tab_row(labels: list[str], vals: list[str] | str, style: _Style, pad: int = 0) -> str:
    if isinstance(vals, str):
        return "\t".join(labels) + "\t" + vals
    cells = list(labels) + [""] * style.residue + vals + [""] * pad
    return "\t".join(cells)


def _lines_row(labels: list[str], vals: list[str] | str) -> str:
    if isinstance(vals, str):
        vals = [vals]
    return "\n".join("\t" + c for c in [*labels, *vals])


def _labelline_row(label: str, vals: list[str] | str, k: int) -> str:
    """The label's line holds the first ``k`` non-blank cells (U+00A0 before each), the other cells
    follow one per line; the label's line is the first cell's line even when it is blank."""
    if isinstance(vals, str):
        return label + vals
    lead = 0
    while lead < min(k, len(vals)) and vals[lead] != "":
        lead += 1
    if lead == 0:
        # the label's line stands for the first cell, which is blank
        return label + "".join("\n" + v for v in vals[1:])
    return label + "".join(NBSP + v for v in vals[:lead]) + "".join("\n" + v for v in vals[lead:])


# --- the three tables


def _proactive(t: Template, cells: Cells, style: _Style, damage: Damage) -> str:
    lines: list[str] = []
    for block in t.table("proactive").blocks:
        heading = style.p(block.heading.text if block.heading else "")
        col_labels = []
        for c in block.columns:
            label = c.label.text
            if c.key == "amount" and c.decimal and c.unit == "万元":
                label = style.fees_label
            elif c.key == "amount":
                label = "采购总金额（单位：万元）"
            col_labels.append(style.p(label))
        pad = 3 - len(block.columns)
        if style.layout in ("tabs", "flat"):
            lines.append(heading + "\t" * 3)
            lines.append("\t".join(["信息内容", *col_labels] + [""] * pad))
            for row in block.data_rows():
                rid = f"proactive.{row.key}"
                vals = _cells_of(cells, block.cell_ids(row), rid, damage)
                lines.append(_tab_row([style.p(row.label.text)], vals, _Style("tabs", style.blank), pad))
        elif style.layout == "lines":
            lines.append("\t" + heading + "\n")
            lines.append("\n".join("\t" + s for s in ["信息内容", *col_labels]) + "\n")
            for row in block.data_rows():
                rid = f"proactive.{row.key}"
                vals = _cells_of(cells, block.cell_ids(row), rid, damage)
                lines.append(_lines_row([style.p(row.label.text)], vals) + "\n")
        else:  # labelline
            lines.append(heading + "\n")
            lines.append("信息内容" + "".join(col_labels))
            for row in block.data_rows():
                rid = f"proactive.{row.key}"
                vals = _cells_of(cells, block.cell_ids(row), rid, damage)
                lines.append(_labelline_row(style.p(row.label.text), vals, style.label_cells.get(rid, 3)))
            lines.append("")
    return "\n".join(lines)


_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
_ORGS = ("商业企业", "科研机构", "{social}", "法律服务机构", "其他")


def _requests(t: Template, cells: Cells, style: _Style, damage: Damage) -> str:
    block = requests_block(t)
    orgs = [o.format(social=style.social_label) for o in _ORGS]
    corner = style.p(_CORNER)
    lines: list[str] = []
    if style.layout in ("tabs", "flat"):
        lines.append(corner + "\t申请人情况" + "\t" * 6 + "总计")
        lines.append("\t自然人\t法人或其他组织" + "\t" * 5)
        lines.append("\t\t" + "\t".join(orgs) + "\t")
    elif style.layout == "lines":
        lines.append(" \t" + corner + "\n\t申请人情况\n")
        lines.append("\t\n\t自然人\n\t法人或其他组织\n\t总计\n")
        lines.append("\t\n\t\n" + "\n".join("\t" + o for o in orgs) + "\n\t\n")
    else:
        lines.append(corner + "申请人情况")
        lines.append("自然人法人或其他组织总计")
        lines.append("".join(orgs))
    for row, labels in _requests_layout(t, style):
        rid = f"requests.{row.key}"
        vals = _cells_of(cells, block.cell_ids(row), rid, damage)
        if style.layout in ("tabs", "flat"):
            lines.append(_tab_row(labels, vals, style))
        elif style.layout == "lines":
            lines.append(_lines_row(labels, vals) + "\n")
        else:
            lines.append(_labelline_row("".join(labels), vals, style.label_cells.get(rid, 2)))
    return "\n".join(lines)


_APPEALS_HEAD_TABS = (
    "行政复议\t\t\t\t\t行政诉讼" + "\t" * 9,
    "结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉\t\t\t\t",
    "\t" * 5 + "\t".join(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2),
)


def _appeals(t: Template, cells: Cells, style: _Style, damage: Damage) -> str:
    ids = printed_rows(t.id)[APPEALS]
    vals = _cells_of(cells, ids, APPEALS, damage)
    five = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    if style.layout in ("tabs", "flat"):
        body = vals if isinstance(vals, str) else "\t".join(vals)
        return "\n".join([*_APPEALS_HEAD_TABS, body])
    if style.layout == "lines":
        head = " \t行政复议\n\t行政诉讼\n\n" + "\n".join("\t" + s for s in [*five, "未经复议直接起诉", "复议后起诉"])
        head += "\n\n" + "\n".join("\t" + s for s in [""] * 5 + five * 2)
        body = "\t" + vals if isinstance(vals, str) else "\n".join("\t" + v for v in vals)
        return head + "\n\n" + body + "\n"
    head = "行政复议行政诉讼\n" + "".join(five) + "未经复议直接起诉复议后起诉\n" + "".join(five * 2)
    if isinstance(vals, str):
        return head + "\n" + vals
    if all(v != "" for v in vals) or not vals:
        # seed 001: the values on their own line, each after a no-break space
        return head + "\n" + "".join(NBSP + v for v in vals)
    # blank cells: the header's last line is the first cell's line
    return _labelline_row(head, vals, style.label_cells.get(APPEALS, 2))


# --- the whole report


_OVERVIEW = (
    "{year}年，{agency}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》，"
    "围绕中心工作，持续深化政务公开，不断提升公开质量和实效。"
)
_PERIOD = "本报告所列数据统计期限自{year}年1月1日起至{year}年12月31日止。"
_PROBLEMS = (
    "{year}年，政府信息公开工作取得了一定成效，但也存在一些不足：公开内容的深度和广度有待加强，"
    "工作人员业务水平有待提高。下一步，将进一步完善工作机制，加强业务培训，推动政务公开工作再上新台阶。"
)
_OTHER = "本年度未收取信息处理费。"


def _style(layout: str, cells: Cells, rng: random.Random) -> _Style:
    blank = any(v is None for v in cells.values())
    s = _Style(layout=layout, blank=blank)
    s.ascii_punct = rng.random() < 0.5
    s.residue = 0 if blank or layout == "flat" else rng.choice([0, 0, 1, 3])
    s.social_label = rng.choice(["社会公益组织", "社会公益组织", "社会组织"])
    s.fees_label = rng.choice(["本年收费金额（单位：万元）", "本年收费金额（单位：万元，保留4位小数）"])
    s.break_labels = rng.random() < 0.3
    return s


def render(
    template_id: str,
    cells: Cells,
    *,
    layout: str,
    agency: str = "某某市某某局",
    year: int = 2021,
    rng: random.Random | None = None,
    damage: Damage = NO_DAMAGE,
) -> str:
    """A whole report: title, the six parts with some prose, and the three tables in ``layout``.

    None cells print as empty cells (in the ``flat`` layout they vanish, as they do when a real
    report is flattened onto one line).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")
    rng = rng or random.Random(0)
    t = load_template(template_id)
    style = _style(layout, cells, rng)
    for rid in printed_rows(template_id):
        style.label_cells[rid] = rng.choice([1, 2, 7])
    new_total = cells.get("requests.new.total") or 0
    paragraphs = [
        f"{agency}{year}年政府信息公开工作年度报告",
        _OVERVIEW.format(year=year, agency=agency) + _PERIOD.format(year=year),
        "一、总体情况",
        f"（一）主动公开。{year}年，通过政府门户网站及时主动公开各类政府信息。",
        f"（二）依申请公开。全年共收到政府信息公开申请{new_total}件，均按规定予以答复。",
        "二、主动公开政府信息情况",
        _proactive(t, cells, style, damage),
        "三、收到和处理政府信息公开申请情况",
        _requests(t, cells, style, damage),
        "四、政府信息公开行政复议、行政诉讼情况",
        _appeals(t, cells, style, damage),
        "五、存在的主要问题及改进情况",
        _PROBLEMS.format(year=year),
        "六、其他需要报告的事项",
        _OTHER,
    ]
    text = "\n\n".join(paragraphs) + "\n"
    if layout == "flat":
        text = re.sub(r"\s+", " ", text).strip() + "\n"
    return text


# ----------------------------------------------------------------------------- text damage


def damage_text(text: str, kind: str) -> bytes:
    """The report's bytes damaged the way real files are (see ``TEXT_DAMAGES``)."""
    if kind == "gbk":
        return text.replace(NBSP, " ").encode("gbk")
    if kind == "gb18030":
        return text.encode("gb18030")
    if kind == "utf8-bom":
        return text.encode("utf-8-sig")
    if kind == "crlf":
        return text.replace("\n", "\r\n").encode()
    if kind == "fullwidth":
        return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}).encode()
    if kind == "traditional":
        import opencc

        return opencc.OpenCC("s2t").convert(text).encode()
    if kind == "web":
        return web_residue(text).encode()
    raise ValueError(f"unknown damage {kind!r}; known: {', '.join(TEXT_DAMAGES)}")


def web_residue(text: str) -> str:
    """Web-page and word-processor residue around the report (seeds 001, 003, 004)."""
    text = text.replace("二、主动公开政府信息情况", "[bookmark: _GoBack]二、主动公开政府信息情况", 1)
    text = re.sub(r"(?m)^（([一二])）([^。\n]{2,8})。", r"（\1）**\2**。", text)
    return "您现在的位置：首页 > 政务公开 > 年度报告\n" + text + "\n浏览量：1024\n【打印】【关闭】\n"


# ----------------------------------------------------------------------------- corpus


def random_report(
    rng: random.Random,
    *,
    template_id: str | None = None,
    layout: str | None = None,
    blank_zeros: bool | None = None,
    damage: bool = False,
) -> tuple[str, Cells, Damage, dict[str, object]]:
    """One random report: (text, truth cells, damage, how it was made)."""
    tid = template_id or rng.choice(["2019", "2021"])
    lay = layout or rng.choice(LAYOUTS)
    blank = (rng.random() < 0.3 and lay != "flat") if blank_zeros is None else blank_zeros
    cells = random_cells(tid, rng, zero_rate=rng.choice([0.4, 0.6, 0.8]), blank_zeros=blank)
    year = rng.choice([2019, 2020]) if tid == "2019" else rng.choice([2021, 2022, 2023])
    dmg = random_damage(tid, rng) if damage else NO_DAMAGE
    text = render(tid, cells, layout=lay, year=year, rng=rng, damage=dmg)
    meta: dict[str, object] = {"template": tid, "layout": lay, "year": year, "blank_zeros": blank}
    return text, cells, dmg, meta


def corpus(n: int, seed: int) -> list[tuple[str, dict[str, object]]]:
    """``n`` generated reports across templates and layouts, as (text, truth) pairs; the truth
    has ``cells``, ``template``, ``report_year``, ``layout`` and ``damaged`` (cell ids)."""
    rng = random.Random(seed)
    out: list[tuple[str, dict[str, object]]] = []
    for i in range(n):
        damaged = i % 4 == 3
        text, cells, dmg, meta = random_report(rng, layout=LAYOUTS[i % len(LAYOUTS)], damage=damaged)
        truth: dict[str, object] = {
            "cells": cells,
            "template": meta["template"],
            "report_year": meta["year"],
            "layout": meta["layout"],
            "damaged": sorted(damaged_cells(str(meta["template"]), dmg)),
        }
        out.append((text, truth))
    return out
