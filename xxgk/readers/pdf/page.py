"""One page's characters (with their boxes) and ruling segments, read through PDFium.

Only pypdfium2's raw ctypes bindings are used, a handful of calls per character and per path
object: the whole text of a page in one call, then each character's loose box (the font's em box
at the glyph's origin, so every character of a line shares its top and bottom and the centre sits
in the middle of a CJK glyph). Coordinates are turned top-down (``top`` grows down the page).

Rulings come from path objects: stroked lines, thin filled rectangles (Word and WPS draw cell
borders so), the edges of stroked rectangles and of filled cell rectangles (shading). Curves and
invisible paths (no paint, or white on white) are ignored. Form XObjects are entered, their
matrices applied, to a bounded depth.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass, field

import pypdfium2.raw as pdfium_c

from xxgk.errors import XxgkError

MAX_CHARS_PER_PAGE = 30_000   # a dense A4 page of Chinese holds about 2,000
MAX_OBJECTS_PER_PAGE = 30_000  # a page of a Word table has a few hundred to a few thousand
MAX_SEGMENTS_PER_PAGE = 60_000
_FORM_DEPTH = 4
THIN = 3.0  # a filled rectangle at most this thick is a ruling line
_WHITE = 235


class _Ptr(ctypes.c_void_p):
    """A PDFium handle kept as is (ctypes turns a plain c_void_p result into an int)."""


def _untyped(fn: object, restype: object) -> Callable[..., object]:
    """The same PDFium function called without ctypes' argument conversion, twice as fast: used
    for the calls made once per character or per path object. Arguments must be handles,
    Python ints (C ints) or byref()s."""
    f = ctypes.CFUNCTYPE(restype)(ctypes.cast(fn, ctypes.c_void_p).value)  # type: ignore[arg-type]
    f.argtypes = None
    return f


_c_int = ctypes.c_int
_loose_box = _untyped(pdfium_c.FPDFText_GetLooseCharBox, _c_int)
_get_object = _untyped(pdfium_c.FPDFPage_GetObject, _Ptr)
_obj_type = _untyped(pdfium_c.FPDFPageObj_GetType, _c_int)
_draw_mode = _untyped(pdfium_c.FPDFPath_GetDrawMode, _c_int)
_stroke_color = _untyped(pdfium_c.FPDFPageObj_GetStrokeColor, _c_int)
_fill_color = _untyped(pdfium_c.FPDFPageObj_GetFillColor, _c_int)
_bounds = _untyped(pdfium_c.FPDFPageObj_GetBounds, _c_int)
_matrix = _untyped(pdfium_c.FPDFPageObj_GetMatrix, _c_int)
_form_count = _untyped(pdfium_c.FPDFFormObj_CountObjects, _c_int)
_form_object = _untyped(pdfium_c.FPDFFormObj_GetObject, _Ptr)
_seg_count = _untyped(pdfium_c.FPDFPath_CountSegments, _c_int)
_segment = _untyped(pdfium_c.FPDFPath_GetPathSegment, _Ptr)
_seg_point = _untyped(pdfium_c.FPDFPathSegment_GetPoint, _c_int)
_seg_type = _untyped(pdfium_c.FPDFPathSegment_GetType, _c_int)
_seg_close = _untyped(pdfium_c.FPDFPathSegment_GetClose, _c_int)
_NO_GLYPH = frozenset([chr(c) for c in range(0x3001) if chr(c).isspace()] + ["\x00", "\ufffe", "\uffff"])
_PATH, _FORM = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
_MOVETO, _LINETO = pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_SEGMENT_LINETO


@dataclass(slots=True)
class Char:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    cx: float
    cy: float

    @property
    def size(self) -> float:
        return self.bottom - self.top


@dataclass
class PageContent:
    number: int  # 1-based
    width: float
    height: float
    chars: list[Char] = field(default_factory=list)
    hsegs: list[tuple[float, float, float]] = field(default_factory=list)  # (y, x0, x1)
    vsegs: list[tuple[float, float, float]] = field(default_factory=list)  # (x, y0, y1)


def _too_complex(name: str, what_zh: str, what_en: str, n: int, page: int) -> XxgkError:
    return XxgkError(
        "too-large",
        f"PDF 第 {page} 页过于复杂（{n} 个{what_zh}），不像年度报告，已拒绝读取：{name}",
        f"page {page} of the PDF is too complex ({n} {what_en}); refused: {name}",
    )


def read_page(doc: object, index: int, name: str) -> PageContent:
    page = pdfium_c.FPDF_LoadPage(doc, index)
    if not page:
        raise XxgkError("bad-pdf", f"PDF 文件已损坏（第 {index + 1} 页无法读取）：{name}",
                        f"corrupted PDF (page {index + 1} cannot be read): {name}")
    try:
        left, bottom, right, top = (ctypes.c_float() for _ in range(4))
        if not pdfium_c.FPDFPage_GetMediaBox(page, left, bottom, right, top):
            left.value, bottom.value = 0.0, 0.0
            right.value = pdfium_c.FPDF_GetPageWidthF(page)
            top.value = pdfium_c.FPDF_GetPageHeightF(page)
        y_top = max(top.value, bottom.value)
        pc = PageContent(index + 1, abs(right.value - left.value), abs(top.value - bottom.value))
        n_obj = pdfium_c.FPDFPage_CountObjects(page)
        if n_obj > MAX_OBJECTS_PER_PAGE:
            raise _too_complex(name, "图形对象", "page objects", n_obj, index + 1)
        _Paths(pc, y_top, name).walk_page(page, n_obj)
        textpage = pdfium_c.FPDFText_LoadPage(page)
        if not textpage:
            return pc
        try:
            pc.chars = _chars(textpage, y_top, name, index + 1)
        finally:
            pdfium_c.FPDFText_ClosePage(textpage)
        rotation = pdfium_c.FPDFPage_GetRotation(page) % 4
        if rotation:
            _rotate(pc, rotation, min(left.value, right.value))
        return pc
    finally:
        pdfium_c.FPDF_ClosePage(page)


def _rotate(pc: PageContent, r: int, x_left: float) -> None:
    """A page shown turned (/Rotate 90, 180, 270, clockwise): coordinates as displayed."""
    w, h = pc.width, pc.height

    def point(x: float, top: float) -> tuple[float, float]:
        x -= x_left
        if r == 1:
            return h - top, x
        if r == 2:
            return w - x, h - top
        return top, w - x

    def box(x0: float, x1: float, t0: float, t1: float) -> tuple[float, float, float, float]:
        (ax, ay), (bx, by) = point(x0, t0), point(x1, t1)
        return min(ax, bx), max(ax, bx), min(ay, by), max(ay, by)

    for c in pc.chars:
        c.x0, c.x1, c.top, c.bottom = box(c.x0, c.x1, c.top, c.bottom)
        c.cx, c.cy = (c.x0 + c.x1) / 2, (c.top + c.bottom) / 2
    segs = [box(a, b, y, y) for y, a, b in pc.hsegs] + [box(x, x, a, b) for x, a, b in pc.vsegs]
    pc.hsegs = [(t0, x0, x1) for x0, x1, t0, t1 in segs if t1 - t0 < x1 - x0]
    pc.vsegs = [(x0, t0, t1) for x0, x1, t0, t1 in segs if t1 - t0 >= x1 - x0]
    if r % 2:
        pc.width, pc.height = h, w


def _chars(textpage: object, y_top: float, name: str, page_no: int) -> list[Char]:
    n = pdfium_c.FPDFText_CountChars(textpage)
    if n <= 0:
        return []
    if n > MAX_CHARS_PER_PAGE:
        raise _too_complex(name, "字符", "characters", n, page_no)
    buf = (ctypes.c_ushort * (n + 1))()
    got = pdfium_c.FPDFText_GetText(textpage, 0, n, buf)
    units = bytes(buf)[: max(0, got - 1) * 2]
    text = units.decode("utf-16-le", errors="replace")
    if len(text) != n:  # characters outside the BMP: one index each, two UTF-16 units
        get = pdfium_c.FPDFText_GetUnicode
        text = "".join(chr(c) if 0 < c < 0x110000 and not 0xD800 <= c < 0xE000 else "\ufffd"
                       for c in (get(textpage, i) for i in range(n)))
    box = (ctypes.c_float * 4)()  # FS_RECTF: left, top, right, bottom
    ref = ctypes.byref(box)
    tp = ctypes.cast(textpage, _Ptr)
    out: list[Char] = []
    append = out.append
    for i, ch in enumerate(text):
        if ch in _NO_GLYPH or not _loose_box(tp, i, ref):
            continue
        x0, t, x1, b = box
        t, b = y_top - t, y_top - b
        if b < t:
            t, b = b, t
        if b - t < 0.5:  # a degenerate box (zero-size text): give it a height
            t -= 2.0
            b += 2.0
        if x1 < x0:
            x0, x1 = x1, x0
        append(Char(ch, x0, x1, t, b, (x0 + x1) / 2, (t + b) / 2))
    return out


class _Paths:
    """Walks a page's objects (and its forms') and keeps the axis-aligned ruling segments."""

    def __init__(self, pc: PageContent, y_top: float, name: str) -> None:
        self.pc = pc
        self.y_top = y_top
        self.name = name
        self.segments = 0
        self.f = [ctypes.c_float() for _ in range(4)]
        self.fref = [ctypes.byref(v) for v in self.f]
        self.u = (ctypes.c_uint * 4)()
        self.uref = [ctypes.byref(self.u, 4 * k) for k in range(4)]
        self.modes = (ctypes.c_int * 2)()
        self.mref = (ctypes.byref(self.modes), ctypes.byref(self.modes, 4))
        self.m = (ctypes.c_float * 6)()  # FS_MATRIX: a, b, c, d, e, f
        self.mat = ctypes.byref(self.m)

    def walk_page(self, page: object, n: int) -> None:
        for i in range(n):
            self._object(_get_object(page, i), None, 0)

    def _object(self, obj: object, matrix: tuple[float, ...] | None, depth: int) -> None:
        kind = _obj_type(obj)
        if kind == _PATH:
            self._path(obj, matrix)
        elif kind == _FORM and depth < _FORM_DEPTH:
            if not _matrix(obj, self.mat):
                return
            inner = tuple(self.m)
            total = inner if matrix is None else _compose(inner, matrix)
            count = _form_count(obj)
            if count > MAX_OBJECTS_PER_PAGE:
                raise _too_complex(self.name, "图形对象", "page objects", count, self.pc.number)
            for k in range(max(0, count)):
                self._object(_form_object(obj, k), total, depth + 1)

    def _visible(self, obj: object, filled: bool, stroked: bool) -> bool:
        u = self.u
        if stroked and _stroke_color(obj, *self.uref) and u[3] > 0 and min(u[0], u[1], u[2]) < _WHITE:
            return True
        return bool(filled and _fill_color(obj, *self.uref) and u[3] > 0 and min(u[0], u[1], u[2]) < _WHITE)

    def _path(self, obj: object, matrix: tuple[float, ...] | None) -> None:
        if not _draw_mode(obj, *self.mref):
            return
        filled, stroked = self.modes[0] != 0, self.modes[1] != 0
        if not (filled or stroked) or not self._visible(obj, filled, stroked):
            return
        if not _bounds(obj, *self.fref):
            return
        fl, fb, fr, ft = self.f
        x0, y0, x1, y1 = fl.value, fb.value, fr.value, ft.value
        if matrix is not None:
            x0, y0, x1, y1 = _bbox(matrix, x0, y0, x1, y1)
        w, h = x1 - x0, y1 - y0
        if w <= THIN and h <= THIN:  # a dot, or one dash of a dotted border (joined later)
            if max(w, h) < 1.0 or max(w, h) < 2 * min(w, h):
                return
            if w > h:
                self._add_h((y0 + y1) / 2, x0, x1)
            else:
                self._add_v((x0 + x1) / 2, y0, y1)
            return
        if h <= THIN:
            self._add_h((y0 + y1) / 2, x0, x1)
            return
        if w <= THIN:
            self._add_v((x0 + x1) / 2, y0, y1)
            return
        self._box(obj, matrix, filled, stroked)

    def _box(self, obj: object, matrix: tuple[float, ...] | None, filled: bool, stroked: bool) -> None:
        """A path whose extent is two-dimensional: rectangles, polylines, or a whole grid."""
        n = _seg_count(obj)
        self.segments += max(0, n)
        if self.segments > MAX_SEGMENTS_PER_PAGE:
            raise _too_complex(self.name, "路径线段", "path segments", self.segments, self.pc.number)
        if n <= 1 or not _matrix(obj, self.mat):
            return
        own = tuple(self.m)
        a, bb, c, d, e, f = own if matrix is None else _compose(own, matrix)
        px, py = self.f[0], self.f[1]
        pref = self.fref[0], self.fref[1]
        subpaths: list[list[tuple[float, float]]] = []
        for k in range(n):
            seg = _segment(obj, k)
            if not seg or not _seg_point(seg, *pref):
                continue
            x, y = px.value, py.value
            pt = (a * x + c * y + e, bb * x + d * y + f)
            kind = _seg_type(seg)
            if kind == _MOVETO or not subpaths:
                subpaths.append([pt])
            elif kind == _LINETO:
                subpaths[-1].append(pt)
            else:  # a curve: the subpath is no ruling
                subpaths[-1].append((float("nan"), float("nan")))
                subpaths[-1].append(pt)
            if _seg_close(seg) and len(subpaths[-1]) > 1:
                subpaths[-1].append(subpaths[-1][0])
        for sp in subpaths:
            self._subpath(sp, filled, stroked)

    def _subpath(self, pts: list[tuple[float, float]], filled: bool, stroked: bool) -> None:
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        if any(v != v for v in xs):  # curves
            return
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        if not stroked:  # a filled shape: a thin one is a line, a rectangle gives its four edges
            if x1 - x0 <= THIN and y1 - y0 > THIN:
                self._add_v((x0 + x1) / 2, y0, y1)
            elif y1 - y0 <= THIN and x1 - x0 > THIN:
                self._add_h((y0 + y1) / 2, x0, x1)
            elif x1 - x0 > THIN and y1 - y0 > THIN and _is_rect(pts):
                self._add_h(y0, x0, x1)
                self._add_h(y1, x0, x1)
                self._add_v(x0, y0, y1)
                self._add_v(x1, y0, y1)
            return
        for (ax, ay), (bx, by) in zip(pts, pts[1:], strict=False):
            if abs(ax - bx) < 0.5 and abs(ay - by) > THIN:
                self._add_v((ax + bx) / 2, min(ay, by), max(ay, by))
            elif abs(ay - by) < 0.5 and abs(ax - bx) > THIN:
                self._add_h((ay + by) / 2, min(ax, bx), max(ax, bx))

    def _add_h(self, y: float, x0: float, x1: float) -> None:
        self.pc.hsegs.append((self.y_top - y, x0, x1))

    def _add_v(self, x: float, y0: float, y1: float) -> None:
        self.pc.vsegs.append((x, self.y_top - y1, self.y_top - y0))


def _is_rect(pts: list[tuple[float, float]]) -> bool:
    corners = {(round(x, 1), round(y, 1)) for x, y in pts}
    if len(corners) != 4:
        return False
    return len({x for x, _ in corners}) == 2 and len({y for _, y in corners}) == 2


def _compose(inner: tuple[float, ...], outer: tuple[float, ...]) -> tuple[float, ...]:
    """inner then outer (PDF row-vector convention)."""
    a1, b1, c1, d1, e1, f1 = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (a1 * a2 + b1 * c2, a1 * b2 + b1 * d2, c1 * a2 + d1 * c2, c1 * b2 + d1 * d2,
            e1 * a2 + f1 * c2 + e2, e1 * b2 + f1 * d2 + f2)


def _bbox(m: tuple[float, ...], x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
    a, b, c, d, e, f = m
    pts = [(a * x + c * y + e, b * x + d * y + f) for x in (x0, x1) for y in (y0, y1)]
    return (min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts))
