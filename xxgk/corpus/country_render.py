"""One report of a synthetic country as a file: an agency's cells of a year printed in one of the
reader's generator layouts, with the agency's name, its own prose and its publication date.

Families (the format each belongs to):

* ``text``: ``viewer-text`` and ``web-flat`` (``xxgk.gen``), and the four layouts of
  ``xxgk.synth.render`` (``synth-tabs``, ``synth-lines``, ``synth-labelline``, ``synth-flat``)
  with the prose replaced by the agency's own and its signature and date added;
* ``md``: ``md-mineru``, ``md-marker``, ``md-pandoc``, ``md-chat``; ``html``: ``cms-html``;
  ``docx``: ``word-docx`` (``xxgk.gen``).

The ``xxgk.gen`` families are drawn by ``xxgk.gen.content.draw`` with the agency, year, date,
cells and prose imposed; their own features (misprints, spaced headers, a missing 规章 row …) are
drawn as in the generator, except totals printed wrong (injected by the country, with their
truth) and blank zeros (decided here, with the cells). A text file is sometimes saved in GBK,
GB 18030, with a BOM or with CRLF line ends.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
from dataclasses import dataclass

from xxgk import synth
from xxgk.gen import FAMILIES, _renderer
from xxgk.gen.content import chinese_date, draw

Cells = dict[str, int | float | None]

FORMAT_FAMILIES: dict[str, tuple[tuple[str, float], ...]] = {
    "text": (("viewer-text", 0.3), ("web-flat", 0.15), ("synth-tabs", 0.25), ("synth-lines", 0.1),
             ("synth-labelline", 0.1), ("synth-flat", 0.1)),
    "md": (("md-mineru", 0.3), ("md-marker", 0.3), ("md-pandoc", 0.25), ("md-chat", 0.15)),
    "html": (("cms-html", 1.0),),
    "docx": (("word-docx", 1.0),),
}
TEXT_FAMILIES = frozenset(f for f, _ in FORMAT_FAMILIES["text"])
SUFFIX = {"text": "txt", "md": "md", "html": "html", "docx": "docx"}
# families that print a zero cell as an empty one in some reports (a flat text loses the blanks)
BLANKS = {"synth-tabs", "synth-lines", "synth-labelline", "md-mineru", "md-marker", "md-pandoc", "md-chat",
          "cms-html", "word-docx"}
BLANK_RATE = 0.15
ENCODING_RATE = 0.1


@dataclass
class Printed:
    """A report as written: the file's bytes and what it truly prints."""

    data: bytes
    cells: Cells
    expect: dict[str, str]
    features: list[str]


def family_for(rng: random.Random, formats: tuple[str, ...]) -> tuple[str, str]:
    """(format, family) drawn for one report among the requested formats."""
    fmt = formats[0] if len(formats) == 1 else rng.choice(formats)
    fams, weights = zip(*FORMAT_FAMILIES[fmt], strict=True)
    return fmt, rng.choices(fams, weights)[0]


def deadline(kind: str, year: int) -> dt.date:
    """条例第四十九条: a government's own report by 31 March, every other agency's by 31 January."""
    return dt.date(year + 1, 3, 31) if kind == "government" else dt.date(year + 1, 1, 31)


def published_date(rng: random.Random, kind: str, year: int, late: bool) -> dt.date:
    due = deadline(kind, year)
    if late:
        days = rng.randint(1, 60) if rng.random() < 0.8 else rng.randint(61, 240)
        return due + dt.timedelta(days=days)
    return due - dt.timedelta(days=rng.randint(0, 80 if kind == "government" else 25))


def _date_text(rng: random.Random, d: dt.date) -> str:
    if rng.random() < 0.15:
        return chinese_date(d)
    return f"{d.year}年{d.month}月{d.day}日" if rng.random() < 0.8 else f"{d.year}年{d.month:02d}月{d.day:02d}日"


def render(family: str, cells: Cells, *, agency: str, year: int, published: dt.date,
           prose: dict[str, list[str]], rng: random.Random) -> Printed:
    """The file of one report. ``cells``: every 2021 cell as numbers (None: printed empty)."""
    if family.startswith("synth-"):
        out = _synth(family[6:], cells, agency, year, published, prose, rng)
    else:
        fam = FAMILIES[family]
        rates = dataclasses.replace(fam.rates, blank_zeros=0.0, wrong_total=0.0, template_2019=0.0)
        c = draw(rng, rates, template="2021", year=year, agency=agency, published=published, cells=cells,
                 prose=prose)
        data, extra = _renderer(family)(c, rng)
        out = Printed(data, dict(c.cells), dict(c.expect), list(dict.fromkeys([*c.features, *extra])))
    if family in TEXT_FAMILIES and rng.random() < ENCODING_RATE:
        kind = rng.choice(["gbk", "gb18030", "utf8-bom", "crlf"])
        out.data = synth.damage_text(out.data.decode("utf-8"), kind)
        out.features.append(f"encoding:{kind}")
    return out


def _synth(layout: str, cells: Cells, agency: str, year: int, published: dt.date,
           prose: dict[str, list[str]], rng: random.Random) -> Printed:
    """``xxgk.synth.render`` with its fixed prose replaced by the agency's, signature and date
    added (the fixed paragraphs are ``xxgk.synth``'s own; a change there fails loudly here)."""
    text = synth.render("2021", cells, layout=layout, agency=agency, year=year, rng=rng)
    flat = layout == "flat"
    sep = " " if flat else "\n\n"

    def join(paras: list[str]) -> str:
        s = sep.join(paras)
        return re.sub(r"\s+", " ", s) if flat else s

    new_total = cells.get("requests.new.total") or 0
    old_overview = sep.join([
        synth._OVERVIEW.format(year=year, agency=agency) + synth._PERIOD.format(year=year), "一、总体情况",
        f"（一）主动公开。{year}年，通过政府门户网站及时主动公开各类政府信息。",
        f"（二）依申请公开。全年共收到政府信息公开申请{new_total}件，均按规定予以答复。",
    ])
    old_problems = synth._PROBLEMS.format(year=year)
    end = text.rstrip()
    if not end.endswith(synth._OTHER) or old_overview not in text or old_problems not in text:
        raise RuntimeError("xxgk.synth.render's prose changed: update xxgk.corpus.country_render")
    end = end[: -len(synth._OTHER)] + join(prose["other"])
    end = end.replace(old_problems, join(prose["problems"]), 1)
    end = end.replace(old_overview, join(["一、总体情况", *prose["overview"]]), 1)
    date = _date_text(rng, published)
    text = f"{end} {agency} {date}\n" if flat else f"{end}\n\n{agency}\n{date}\n"
    return Printed(text.encode("utf-8"), dict(cells), {}, [f"layout:{layout}"])
