"""What a generated report says, independent of how it is published.

``draw`` makes one report's content: its template, year, agency, date, the cells as printed
(drawn with ``xxgk.synth.random_cells`` so that every 勾稽关系 holds, then changed only where a
recorded feature says so), what a reader can and cannot know about each cell (``expect``), and the
document as a list of blocks: title, headings, prose, the three tables as grids (derived from the
template declaration by ``xxgk.layout.table_grid``), the signature and the date. Every family's
writer prints these blocks; none lists rows or columns of its own.

Content variation (each recorded in ``features``, rates set per family by ``Rates``):

* ``blank-zeros``: zero cells printed empty (the truth is then ``None``);
* ``misprint:<label>``: a row or column label printed with a character dropped, added or replaced;
* ``no-rules-row``: table 二 without the 规章 row (its cells ``missing``);
* ``other-one-row``: a 2021 report printing the 2019 one-row （六）其他处理: its three 2021
  sub-cells are ``undetermined`` (0 where the printed column value is 0);
* ``wrong-total``: one total printed wrong by the agency (the truth is what is printed);
* ``spaced-header``: header words spaced out (总 计, 自 然 人);
* ``heading-in-table``: the part heading printed as the first row of table 三;
* ``date-chinese-numerals``: the date written 二〇二二年一月二十日.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass, field

from xxgk.layout import Grid, LCell, table_grid
from xxgk.synth import check_cells, random_cells
from xxgk.template import Template, load_template

Number = int | float
Cells = dict[str, Number | None]

# (official text, misprint): a dropped, added or replaced character, as seen in real reports.
MISPRINTS: dict[str, tuple[tuple[str, str], ...]] = {
    "2021": (
        ("属于三类内部事务信息", "属于三类内部事物信息"),
        ("本年废止件数", "本年废至件数"),
        ("现行有效件数", "现行冇效件数"),
        ("保护第三方合法权益", "保护第三方合法权利"),
        ("信访举报投诉类申请", "信访举报投拆类申请"),
        ("没有现成信息需要另行制作", "没有现成信息需另行制作"),
        ("本机关不掌握相关政府信息", "本机关不掌握相关的政府信息"),
        ("上年结转政府信息公开申请数量", "上年结转政府信息公开申请数理"),
        ("要求提供公开出版物", "要求提供公开出板物"),
        ("属于四类过程性信息", "属于四类过程信息"),
    ),
    "2019": (
        ("属于三类内部事务信息", "属于三类内部事物信息"),
        ("其他对外管理服务事项", "其它对外管理服务事项"),
        ("本年新制作数量", "本年新制作数"),
        ("保护第三方合法权益", "保护第三方合法权利"),
        ("上年结转政府信息公开申请数量", "上年结转政府信息公开申请数理"),
        ("没有现成信息需要另行制作", "没有现成信息需另行制作"),
        ("属于四类过程性信息", "属于四类过程信息"),
    ),
}

_PLACES = (
    "廊坊市", "宁波市鄞州区", "成都市武侯区", "济南市历城区", "邯郸市", "赣州市章贡区", "南阳市",
    "株洲市", "大理州", "绍兴市柯桥区", "洛阳市", "淄博市张店区", "贵阳市", "凉山州", "安顺市",
    "晋中市", "盐城市亭湖区", "潍坊市", "宜昌市", "曲靖市",
)
_OFFICES = (
    "人民政府办公室", "发展和改革委员会", "市场监督管理局", "自然资源和规划局", "交通运输局",
    "住房和城乡建设局", "教育局", "卫生健康委员会", "司法局", "民政局", "财政局", "生态环境局",
    "人力资源和社会保障局", "应急管理局", "农业农村局", "水利局", "审计局", "统计局",
)
_TOWNS = ("城关镇", "新华街道办事处", "龙泉镇", "石桥乡", "东城街道办事处", "马家镇")


@dataclass(frozen=True)
class Rates:
    """How often each content feature occurs in a family (0 disables it)."""

    blank_zeros: float = 0.2
    misprint: float = 0.15
    no_rules_row: float = 0.05
    other_one_row: float = 0.06
    wrong_total: float = 0.06
    spaced_header: float = 0.3
    heading_in_table: float = 0.08
    chinese_date: float = 0.15
    template_2019: float = 0.0  # share of 2019-format reports


@dataclass(frozen=True)
class Block:
    """One piece of the document in reading order."""

    kind: str  # title | heading | subheading | para | table | signature | date
    text: str = ""
    grid: Grid | None = None
    table: str = ""  # proactive | requests | appeals


@dataclass
class Content:
    template: str
    year: int
    agency: str
    published: dt.date | None
    date_text: str
    cells: Cells
    expect: dict[str, str]
    features: list[str]
    blocks: list[Block] = field(default_factory=list)

    def feature(self, name: str) -> None:
        if name not in self.features:
            self.features.append(name)

    def tables(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "table"]


# ----------------------------------------------------------------------------- helpers

_CN_DIGITS = "〇一二三四五六七八九"


def chinese_date(d: dt.date) -> str:
    """二〇二二年一月二十日."""
    def small(n: int) -> str:
        if n < 10:
            return _CN_DIGITS[n]
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")
    year = "".join(_CN_DIGITS[int(c)] for c in str(d.year))
    return f"{year}年{small(d.month)}月{small(d.day)}日"


def agency_name(rng: random.Random) -> str:
    place = rng.choice(_PLACES)
    r = rng.random()
    if r < 0.1:
        return place + "人民政府"
    if r < 0.2:
        return place + rng.choice(_TOWNS)
    return place + rng.choice(_OFFICES)


def replace_text(grid: Grid, old: str, new: str) -> tuple[Grid, bool]:
    """The grid with ``old`` replaced by ``new`` in every cell's text; whether anything changed."""
    changed = False
    out: Grid = []
    for row in grid:
        new_row = []
        for c in row:
            if old in c.text and c.cell_id is None:
                c = dataclasses.replace(c, text=c.text.replace(old, new))
                changed = True
            new_row.append(c)
        out.append(new_row)
    return out, changed


def grid_width(grid: Grid) -> int:
    return sum(c.colspan for c in grid[0])


# ----------------------------------------------------------------------------- cells


def _wrong_total(t: Template, cells: Cells, rng: random.Random) -> str | None:
    """Print one total wrong (by a small amount, never negative); the cell changed."""
    choices = [cid for cid in t.cell_ids
               if ((cid.endswith(".total") and cid.startswith(("requests.", "appeals.")))
                   or cid.startswith("requests.total.")) and not cid.startswith("requests.other.")]
    rng.shuffle(choices)
    for cid in choices:
        v = cells[cid]
        if v is None:
            continue
        delta = rng.choice([-3, -2, -1, 1, 1, 2, 5, 10])
        if v + delta < 0:
            delta = abs(delta)
        cells[cid] = v + delta
        return cid
    return None


def _other_sums(cells: Cells) -> dict[str, Number | None]:
    """The 2019 one-row （六）其他处理 from a 2021 report's three sub-rows, per column."""
    out: dict[str, Number | None] = {}
    for col in ("natural", "commercial", "research", "social", "legal", "other_org", "total"):
        vals = [cells[f"requests.other.{k}.{col}"] for k in ("overdue_correction", "overdue_fee", "other")]
        out[f"requests.other.{col}"] = sum(v or 0 for v in vals)
    return out


# ----------------------------------------------------------------------------- prose


def _prose(c: Content, rng: random.Random) -> dict[str, list[str]]:
    """Paragraphs of each part; figures stated are consistent with the printed tables."""
    y = c.year
    cells = c.cells
    new_total = cells.get("requests.new.total") or 0
    handled = cells.get("requests.total.total") or 0
    norm = cells.get("proactive.normative.issued" if c.template == "2021" else "proactive.normative.made") or 0
    items = rng.randint(120, 9000)
    overview = [
        f"{y}年，{c.agency}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》"
        f"和上级关于政务公开工作的部署要求，围绕中心工作，持续深化政务公开，不断提升公开质量和实效。现将{y}年度政府信息公开工作情况报告如下。",
        f"本报告所列数据统计期限自{y}年1月1日起至{y}年12月31日止。",
    ]
    subs = [
        ("（一）主动公开", f"全年通过政府门户网站主动公开政府信息{items}条，其中发布政策解读{rng.randint(3, 80)}篇。"
         f"{'本年制发' if c.template == '2021' else '本年新制作'}规范性文件{norm}件，均按规定及时公开。"),
        ("（二）依申请公开", f"全年共收到政府信息公开申请{new_total}件，办理政府信息公开申请{handled}件，均在法定期限内答复。"),
        ("（三）政府信息管理", "严格落实公开前保密审查制度，动态调整主动公开基本目录，及时清理过时信息。"),
        ("（四）平台建设", "进一步优化政府网站信息公开专栏，完善政务新媒体矩阵，拓宽公开渠道。"),
        ("（五）监督保障", "将政务公开工作纳入年度目标考核，组织业务培训2次，主动接受社会监督。"),
    ]
    k = rng.randint(2, len(subs))
    one = list(overview)
    for head, body in subs[:k]:
        one.append(f"{head}。{body}" if rng.random() < 0.5 else f"{head}\n{body}")
    problems = [
        f"{y}年，{c.agency}政府信息公开工作取得了一定成效，但也存在一些不足：公开内容的深度和广度有待加强，"
        "政策解读形式较为单一，工作人员业务水平有待提高。",
        f"{y + 1}年，将进一步完善工作机制，加强业务培训，推动政务公开工作再上新台阶。",
    ]
    fee = cells.get("proactive.fees.amount")
    other = ["本年度未收取信息处理费。" if rng.random() < 0.7 else "无。"]
    if fee and rng.random() < 0.3:
        other.append("本年度无其他需要报告的事项。")
    return {"overview": one, "problems": problems, "other": other}


# ----------------------------------------------------------------------------- the report


def draw(
    rng: random.Random, rates: Rates, *, template: str | None = None, year: int | None = None,
    agency: str | None = None, published: dt.date | None = None, cells: Cells | None = None,
    prose: dict[str, list[str]] | None = None,
) -> Content:
    """One report's content (see the module docstring).

    Each keyword given imposes what a caller already knows instead of drawing it (a synthetic
    country's report: its agency, year, publication date, cells as printed — ``None`` for a cell
    printed empty — and the paragraphs of each part, keyed as ``_prose`` keys them); the
    features are still drawn with ``rates``. Nothing given: the same draws as always.
    """
    tid = template or ("2019" if rng.random() < rates.template_2019 else "2021")
    t = load_template(tid)
    if year is None:
        year = rng.choice([2019, 2020]) if tid == "2019" else rng.choice([2021, 2022, 2023, 2024])
    features: list[str] = []
    if cells is None:
        blank = rng.random() < rates.blank_zeros
        cells = random_cells(tid, rng, zero_rate=rng.choice([0.4, 0.6, 0.75]), blank_zeros=blank)
    else:
        cells = {cid: cells[cid] for cid in t.cell_ids}
        blank = any(v is None for v in cells.values())
    if blank:
        features.append("blank-zeros")
    expect: dict[str, str] = {}
    agency = agency or agency_name(rng)
    published = published or dt.date(year + 1, 1, 1) + dt.timedelta(days=rng.randint(5, 40))
    chinese = rng.random() < rates.chinese_date
    date_text = chinese_date(published) if chinese else (
        f"{published.year}年{published.month}月{published.day}日" if rng.random() < 0.8
        else f"{published.year}年{published.month:02d}月{published.day:02d}日")
    c = Content(tid, year, agency, published, date_text, cells, expect, features)
    if chinese:
        c.feature("date-chinese-numerals")

    # --- the tables as printed
    grids: dict[str, Grid] = {}
    for table in t.tables:
        grids[table.key] = table_grid(table, cells)
    if tid == "2021" and not blank and rng.random() < rates.other_one_row:
        sums = _other_sums(cells)
        old = load_template("2019").table("requests")
        grids["requests"] = table_grid(old, {**cells, **sums})
        for col, v in sums.items():
            for k in ("overdue_correction", "overdue_fee", "other"):
                cid = col.replace("requests.other.", f"requests.other.{k}.")
                if v != 0:
                    expect[cid] = "undetermined"
        c.feature("other-one-row")
    if rng.random() < rates.no_rules_row:
        label = t.table("proactive").blocks[0].data_rows()[0].label.text  # 规章
        grids["proactive"] = [row for row in grids["proactive"] if row[0].text != label]
        for cid in t.cell_ids:
            if cid.startswith("proactive.rules."):
                cells[cid] = None
                expect[cid] = "missing"
        c.feature("no-rules-row")
    if rng.random() < rates.wrong_total:
        changed = _wrong_total(t, cells, rng)
        if changed:
            # the grids print the wrong value; rebuild the table holding it
            key = changed.split(".", 1)[0]
            if key == "requests" and "other-one-row" in features:
                old = load_template("2019").table("requests")
                new = table_grid(old, {**cells, **_other_sums(cells)})
            else:
                new = table_grid(t.table(key), cells)
            if key == "proactive" and "no-rules-row" in features:
                new = [row for row in new if row[0].text != "规章"]
            grids[key] = new
            c.feature("wrong-total")
            assert check_cells(tid, cells), "a wrong total must break the arithmetic"
    if rng.random() < rates.misprint:
        old_text, new_text = rng.choice(MISPRINTS[tid])
        for key in grids:
            grids[key], done = replace_text(grids[key], old_text, new_text)
            if done:
                c.feature(f"misprint:{new_text}")
    if rng.random() < rates.spaced_header:
        word = rng.choice(["总计", "自然人", "信息内容", "其他"])
        sep = rng.choice([" ", "\u3000", "  "])
        spaced = sep.join(word)
        for key in grids:
            # only header cells whose whole text is the word (not row labels such as （七）总计)
            grids[key] = [[dataclasses.replace(x, text=spaced) if x.text == word and x.cell_id is None else x
                           for x in row] for row in grids[key]]
        c.feature("spaced-header")
    requests_heading = f"三、{t.part('requests').title}"
    if rng.random() < rates.heading_in_table:
        width = grid_width(grids["requests"])
        grids["requests"] = [[LCell(requests_heading, colspan=width, header=True)], *grids["requests"]]
        c.feature("heading-in-table")

    # --- the document
    prose = prose or _prose(c, rng)
    title_forms = [f"{agency}{year}年政府信息公开工作年度报告",
                   f"{agency}{year}年度政府信息公开工作年度报告",
                   f"{agency}关于{year}年政府信息公开工作年度报告"]
    blocks = [Block("title", rng.choice(title_forms[:1] * 4 + title_forms[1:]))]
    for part in t.parts:
        heading = f"{part.numeral}、{part.title}"
        if part.key == "requests" and "heading-in-table" in features:
            pass
        else:
            blocks.append(Block("heading", heading))
        if part.key in grids:
            blocks.append(Block("table", grid=grids[part.key], table=part.key))
        for p in prose.get(part.key, []):
            if p.startswith("（") and "\n" in p:
                head, body = p.split("\n", 1)
                blocks.append(Block("subheading", head))
                blocks.append(Block("para", body))
            else:
                blocks.append(Block("para", p))
    blocks.append(Block("signature", agency))
    blocks.append(Block("date", date_text))
    c.blocks = blocks
    return c


def printed_numbers(c: Content) -> list[str]:
    """Every non-empty data cell of the tables as printed, in document order (for tests)."""
    out = []
    for b in c.tables():
        assert b.grid is not None
        for row in b.grid:
            for x in row:
                if x.cell_id is not None and x.text != "":
                    out.append(x.text)
    return out
