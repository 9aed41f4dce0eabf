"""Web pages as government content-management systems publish the report.

A page has the site's chrome (header, navigation, breadcrumbs, the article's metadata, share
links, footer with the ICP number, scripts), the article nested in layout tables or ``div``s, and
the report pasted in one of three markups (``markup:…``):

* ``word``: pasted from Word: ``MsoNormal`` paragraphs, ``<o:p></o:p>``, ``<span lang=EN-US>``
  around numbers, inline ``mso-`` styles, conditional comments and the hidden sliver row
  (``<![if !supportMisalignedColumns]>``), labels cut over spans (``label-spans``) or by the
  line breaks Word puts in its HTML source (``source-line-breaks``);
* ``ueditor``: the UEditor/KindEditor markup of many CMSs (``<tr class="firstRow">``,
  ``word-break: break-all``, ``<p>`` in every cell);
* ``plain``: hand-written ``<table border="1">`` with ``<br>`` in long labels.

Variation: GBK/GB2312-declared pages (bytes in GB18030, ``encoding:gbk``), ``&nbsp;`` padding
in cells, labels cut over several ``<span>``s, and table 三 cut into two ``<table>`` elements
(``table-split``) as when the Word source had a page break inside it.
"""

from __future__ import annotations

import html
import random

from xxgk.gen.content import Content
from xxgk.gen.grids import header_rows, split, width
from xxgk.layout import Grid, placed

_CSS = (".article{width:1000px;margin:0 auto}.nav a{margin:0 8px}"
        ".TRS_Editor p{line-height:2;text-indent:2em}.footer{color:#666}")


def _esc(s: str) -> str:
    return html.escape(s, quote=False)


def _cut_spans(text: str, rng: random.Random) -> str:
    """A label's characters spread over several spans, as Word exports mixed formatting."""
    if len(text) < 6:
        return _esc(text)
    a = rng.randint(1, len(text) - 2)
    b = rng.randint(a + 1, len(text) - 1)
    return f"{_esc(text[:a])}</span><span style=\"font-family:宋体\">{_esc(text[a:b])}</span><span>{_esc(text[b:])}"


def _cell_html(markup: str, text: str, is_data: bool, rng: random.Random, nbsp: bool, feats: set[str]) -> str:
    if markup == "word":
        if is_data:
            inner = (f"<span lang=\"EN-US\" style=\"font-size:10.0pt;font-family:&quot;Times New Roman&quot;,serif\">"
                     f"{_esc(text) if text else '&nbsp;'}<o:p></o:p></span>")
        else:
            r = rng.random()
            if r < 0.2:
                body = _cut_spans(text, rng)
                feats.add("label-spans")
            elif r < 0.4 and len(text) > 8:
                # Word wraps its HTML source at ~76 columns, inside text too (a space when shown)
                k = rng.randint(2, len(text) - 2)
                body = f"{_esc(text[:k])}\r\n  {_esc(text[k:])}"
                feats.add("source-line-breaks")
            else:
                body = _esc(text)
            inner = (f"<span style=\"font-size:10.0pt;font-family:宋体;mso-bidi-font-family:宋体;"
                     f"mso-font-kern:0pt\">{body}</span><span lang=\"EN-US\" style=\"font-size:10.0pt\"><o:p></o:p></span>")
        return f"<p class=\"MsoNormal\" align=\"center\" style=\"text-align:center;mso-pagination:widow-orphan\">{inner}</p>"
    if markup == "ueditor":
        t = _esc(text)
        if is_data and nbsp and text:
            t = f"&nbsp;{t}&nbsp;"
        return f"<p style=\"text-align:center\"><span style=\"font-size:14px\">{t or '<br/>'}</span></p>"
    t = _esc(text)
    if not is_data and len(text) > 12 and rng.random() < 0.5:
        cut = len(text) // 2
        t = f"{_esc(text[:cut])}<br>{_esc(text[cut:])}"
        feats.add("br-in-cells")
    if is_data and nbsp:
        t = f"&nbsp;{t}" if text else "&nbsp;"
    return t


def _table(grid: Grid, markup: str, rng: random.Random, nbsp: bool, feats: set[str]) -> str:
    n = width(grid)
    rows: list[list[str]] = [[] for _ in grid]
    col_w = [int(640 / n)] * n
    for r, c, x in placed(grid):
        attrs = []
        if x.rowspan > 1:
            attrs.append(f"rowspan=\"{x.rowspan}\"")
        if x.colspan > 1:
            attrs.append(f"colspan=\"{x.colspan}\"")
        if markup == "word":
            w = sum(col_w[c:c + x.colspan])
            attrs.append(f"width=\"{w}\" valign=\"center\" style=\"width:{w * 0.75:.1f}pt;border:solid windowtext 1.0pt;"
                         f"{'border-top:none;' if r else ''}mso-border-alt:solid windowtext .5pt;padding:0cm 1.4pt 0cm 1.4pt\"")
        elif markup == "ueditor":
            attrs.append("valign=\"middle\" style=\"word-break: break-all;\"")
        cell = _cell_html(markup, x.text, x.cell_id is not None, rng, nbsp, feats)
        sep = " " if attrs else ""
        rows[r].append(f"<td{sep}{' '.join(attrs)}>{cell}</td>")
    out = []
    if markup == "word":
        out.append("<table class=\"MsoNormalTable\" border=\"1\" cellspacing=\"0\" cellpadding=\"0\" "
                   "style=\"border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;"
                   "mso-yfti-tbllook:1184;mso-padding-alt:0cm 1.4pt 0cm 1.4pt\">")
    elif markup == "ueditor":
        out.append("<table width=\"100%\" data-sort=\"sortDisabled\"><tbody>")
    else:
        out.append("<table border=\"1\" cellspacing=\"0\" cellpadding=\"2\" width=\"100%\"><tbody>")
    for i, cells in enumerate(rows):
        if markup == "word":
            out.append(f"<tr style=\"mso-yfti-irow:{i};height:18.0pt\">" + "".join(cells) + "</tr>")
        elif markup == "ueditor" and i == 0:
            out.append("<tr class=\"firstRow\">" + "".join(cells) + "</tr>")
        else:
            out.append("<tr>" + "".join(cells) + "</tr>")
    if markup == "word":
        out.append("<![if !supportMisalignedColumns]><tr height=\"0\">"
                   + "".join(f"<td width=\"{w}\" style=\"border:none\"></td>" for w in col_w)
                   + "</tr><![endif]>")
        out.append("</table>")
    else:
        out.append("</tbody></table>")
    return "\n".join(out)


def _para(markup: str, text: str, kind: str) -> str:
    t = _esc(text).replace("\n", "<br>")
    if markup == "word":
        if kind in ("heading", "subheading"):
            return (f"<p class=\"MsoNormal\" style=\"text-indent:32.0pt;mso-char-indent-count:2.0\"><b>"
                    f"<span style=\"font-size:16.0pt;font-family:黑体\">{t}<span lang=\"EN-US\"><o:p></o:p></span></span></b></p>")
        if kind in ("signature", "date"):
            return (f"<p class=\"MsoNormal\" align=\"right\" style=\"text-align:right\"><span style=\"font-size:16.0pt;"
                    f"font-family:仿宋_GB2312\">{t}<span lang=\"EN-US\"><o:p></o:p></span></span></p>")
        return (f"<p class=\"MsoNormal\" style=\"text-indent:32.0pt;line-height:28.0pt;mso-line-height-rule:exactly\">"
                f"<span style=\"font-size:16.0pt;font-family:仿宋_GB2312\">{t}<span lang=\"EN-US\"><o:p></o:p></span></span></p>")
    if kind in ("heading",):
        return f"<p style=\"text-indent:2em\"><strong>{t}</strong></p>"
    if kind in ("signature", "date"):
        return f"<p style=\"text-align:right\">{t}</p>"
    return f"<p style=\"text-indent:2em\">{t}</p>"


def render_html(c: Content, rng: random.Random) -> tuple[bytes, list[str]]:
    markup = rng.choice(["word", "word", "ueditor", "plain"])
    gbk = rng.random() < 0.4
    nbsp = rng.random() < 0.4
    nested = rng.random() < 0.5
    feats: set[str] = {f"markup:{markup}", "page-chrome"}
    if gbk:
        feats.add("encoding:gbk")
    if nbsp:
        feats.add("nbsp-cells")
    charset = rng.choice(["gb2312", "GBK"]) if gbk else "utf-8"
    body: list[str] = []
    for b in c.blocks:
        if b.kind == "title":
            continue
        if b.kind == "table":
            assert b.grid is not None
            if b.table == "requests" and rng.random() < 0.2:
                at = rng.randint(header_rows(b.grid) + 3, len(b.grid) - 3)
                g1, g2 = split(b.grid, at, continued=rng.choice(["empty", "repeat"]))
                body.append(_table(g1, markup, rng, nbsp, feats))
                body.append(_para(markup, "", "para") if markup == "word" else "<p><br/></p>")
                body.append(_table(g2, markup, rng, nbsp, feats))
                feats.add("table-split")
            else:
                body.append(_table(b.grid, markup, rng, nbsp, feats))
            continue
        body.append(_para(markup, b.text, b.kind))
    if markup == "word":
        body.insert(0, "<!--[if gte mso 9]><xml><w:WordDocument><w:View>Normal</w:View></w:WordDocument></xml><![endif]-->")
        feats.add("conditional-comments")
    title = _esc(c.blocks[0].text)
    date = c.published.isoformat() if c.published else ""
    article = (f"<div class=\"title\"><h1>{title}</h1></div>\n"
               f"<div class=\"info\">发布时间：{date}&nbsp;&nbsp;来源：{_esc(c.agency)}&nbsp;&nbsp;"
               f"浏览次数：<span id=\"views\">{rng.randint(20, 5000)}</span>&nbsp;&nbsp;【字体：<a href=\"#\">大</a> "
               f"<a href=\"#\">中</a> <a href=\"#\">小</a>】</div>\n"
               f"<div class=\"TRS_Editor\" id=\"zoom\">\n" + "\n".join(body) + "\n</div>\n"
               "<div class=\"share\">分享到：<a href=\"#\">微信</a> <a href=\"#\">微博</a></div>\n"
               "<div class=\"print\">【<a href=\"javascript:window.print()\">打印本页</a>】【<a href=\"javascript:window.close()\">关闭窗口</a>】</div>")
    if nested:
        article = ("<table width=\"1000\" border=\"0\" cellspacing=\"0\" cellpadding=\"0\" align=\"center\"><tr><td>\n"
                   "<table width=\"100%\" border=\"0\"><tr><td class=\"article\">\n" + article
                   + "\n</td></tr></table>\n</td></tr></table>")
        feats.add("layout-tables")
    else:
        article = f"<div class=\"article\">\n{article}\n</div>"
    page = (
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" "
        "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
        "<html xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n"
        f"<meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\" />\n"
        f"<title>{title}_{_esc(c.agency)}</title>\n"
        f"<meta name=\"ArticleTitle\" content=\"{title}\" />\n<meta name=\"PubDate\" content=\"{date}\" />\n"
        f"<style type=\"text/css\">{_CSS}</style>\n"
        "<script type=\"text/javascript\">var _hmt = _hmt || []; /* 统计 */</script>\n</head>\n<body>\n"
        f"<div class=\"header\"><img src=\"/images/logo.png\" alt=\"{_esc(c.agency)}\" /></div>\n"
        "<div class=\"nav\"><a href=\"/\">首页</a><a href=\"/zwgk/\">政务公开</a><a href=\"/zwfw/\">政务服务</a>"
        "<a href=\"/hdjl/\">互动交流</a></div>\n"
        "<div class=\"position\">您现在的位置：<a href=\"/\">首页</a> &gt; <a href=\"/zwgk/\">政务公开</a> &gt; "
        "<a href=\"/zwgk/ndbg/\">政府信息公开年报</a></div>\n"
        + article +
        f"\n<div class=\"footer\">主办：{_esc(c.agency)}&nbsp; 网站标识码：{rng.randint(1000000000, 9999999999)}"
        f"&nbsp; ICP备{rng.randint(10000000, 99999999)}号</div>\n"
        "<script type=\"text/javascript\" src=\"/js/common.js\"></script>\n</body>\n</html>\n"
    )
    data = page.encode("gb18030") if gbk else page.encode("utf-8")
    return data, sorted(feats)
