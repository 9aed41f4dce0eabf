"""The report checker's pages: upload one report, a ZIP of many, or pasted text (``/check``); see
a report's tables coloured by cell status, its findings with the cells they concern, the source
where each cell was read; confirm an ambiguous cell; download it (JSON, CSV, XLSX, DOCX, PDF).

The same pages serve a report stored in the corpus (``/reports/{id}``, permission corpus.read and
the report's agency in the user's scope; an unmatched report only for the whole country). A
checked upload is its owner's alone (an administrator sees every one). Uploaded HTML is never
rendered: the source view shows the text the reader made of it, escaped.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from xxgk.corpus.schema import CorpusReport
from xxgk.errors import XxgkError
from xxgk.web import checker_view as view
from xxgk.web import checking
from xxgk.web.accounts import Principal
from xxgk.web.app import render
from xxgk.web.deps import Csrf, Refused, in_scope, need, web
from xxgk.web.models import CheckedReport, WebUser

router = APIRouter()

# no ``from __future__ import annotations`` here: the routes made in ``_register`` annotate with
# its local dependencies, which FastAPI must see evaluated.
Checker = Annotated[Principal, Depends(need("report.check"))]
Files = Annotated[list[UploadFile] | None, File()]
Text = Annotated[str, Form()]

DOWNLOADS: dict[str, tuple[str, str]] = {  # format -> (media type, Chinese label)
    "json": ("application/json", "JSON 数据"),
    "csv": ("text/csv; charset=utf-8", "CSV 表格"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel 工作簿"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word 文档（官方版式）"),
    "pdf": ("application/pdf", "PDF 文档（官方版式）"),
}


@dataclass(frozen=True)
class Subject:
    """What a page shows: an upload (``check``) or a corpus report (``report``)."""

    kind: str
    id: int
    base: str
    name: str
    content_hash: str
    data: bytes
    agency_id: int | None
    may_confirm: bool
    crumbs: tuple[tuple[str, str | None], ...]


def _gone() -> Refused:
    return Refused(404, "not-found", "报告不存在或无权查看", "no such report (or not yours)")


def upload_subject(request: Request, p: Principal, sid: int) -> Subject:
    app = web(request)
    with app.office.session() as s:
        row = s.get(CheckedReport, sid)
        if row is None or (row.owner_id != p.id and p.role != "admin"):
            raise _gone()
        name, h, mine = row.name, row.content_hash, row.owner_id == p.id
    data = app.store.data(h)
    if data is None:
        raise _gone()
    return Subject("check", sid, f"/check/{sid}", name, h, data, None, mine,
                   (("报告核查", "/check"), (name, f"/check/{sid}")))


def corpus_subject(request: Request, p: Principal, sid: int) -> Subject:
    app = web(request)
    stored = app.store.report(sid)
    if stored is None:
        raise _gone()
    with app.office.session() as s:
        agency_id = s.scalar(select(CorpusReport.agency_id).where(CorpusReport.id == sid))
    in_scope(request, p, agency_id=agency_id, agency_region=stored.region)  # unmatched: the whole country only
    data = app.store.data(stored.content_hash)
    if data is None:
        raise _gone()
    from xxgk.web.policy import allowed

    title = stored.title or stored.printed_agency or stored.source
    return Subject("report", sid, f"/reports/{sid}", stored.source, stored.content_hash, data, agency_id,
                   allowed(p.role, "cell.confirm"), (("报告库", "/reports"), (title, f"/reports/{sid}")))


def open_subject(request: Request, subject: Subject) -> checking.Checked:
    with web(request).office.session() as s:
        confs = checking.confirmations(s, f"{subject.kind}:{subject.id}")
    return checking.open_checked(subject.data, subject.name, confs)


def confirm_cell(request: Request, p: Principal, subject: Subject, cell: str, value: str | None) -> checking.Checked:
    if not subject.may_confirm:
        raise Refused(403, "forbidden", "无权确认此报告的单元格", "you may not confirm cells of this report")
    app = web(request)
    checked = open_subject(request, subject)
    with app.office.writing() as s:
        checking.confirm(s, app.accounts, checked, cell, checking.parse_value(value), actor=p.username,
                         subject=f"{subject.kind}:{subject.id}", agency_id=subject.agency_id)
    return open_subject(request, subject)


def download(checked: checking.Checked, fmt: str) -> Response:
    from xxgk import export, writers

    if fmt not in DOWNLOADS:
        raise Refused(404, "not-found", f"不支持的下载格式：{fmt[:10]}", f"unknown download format: {fmt[:10]}")
    r = checked.report
    if fmt == "json":
        body = export.to_json([r], single=True).encode("utf-8")
    elif fmt == "csv":
        body = export.to_csv([r])
    elif fmt == "xlsx":
        body = export.to_xlsx([r])
    else:
        body = writers.render(r, fmt)  # refuses unsound output: its one line goes to the user
    stem = (r.agency or "报告") + (f"{r.report_year}年" if r.report_year else "") + "政府信息公开工作年度报告"
    from urllib.parse import quote

    return Response(body, media_type=DOWNLOADS[fmt][0], headers={
        "Content-Disposition": f"attachment; filename=\"report.{fmt}\"; filename*=UTF-8''{quote(stem)}.{fmt}"})


def _targets(checked: checking.Checked, cell: str | None, finding: int | None) -> list[Any]:
    out: list[Any] = []
    if cell:
        if cell not in checked.report.provenance:
            raise Refused(404, "not-found", "报告中没有此单元格", "no such cell")
        out.append(cell)
    f = view.pick_finding(checked, finding)
    if f is not None:
        out.append(f)
    return out


# ---------------------------------------------------------------- the upload form


def _my_checks(request: Request, p: Principal) -> list[dict[str, Any]]:
    with web(request).office.session() as s:
        q = select(CheckedReport, WebUser.username).join(WebUser, WebUser.id == CheckedReport.owner_id)
        if p.role != "admin":
            q = q.where(CheckedReport.owner_id == p.id)
        rows = s.execute(q.order_by(CheckedReport.id.desc()).limit(200)).all()
        return [{"id": r.id, "name": r.name, "owner": u, "at": checking.when(r.created_at.isoformat()),
                 **(r.summary or {})} for r, u in rows]


@router.get("/check", response_class=HTMLResponse)
def check_form(request: Request, p: Checker) -> Response:
    return render(request, "check_index.html", title="报告核查", crumbs=[("报告核查", None)],
                  checks=_my_checks(request, p), max_mb=web(request).settings.max_upload // 1048576)


async def take_upload(request: Request, p: Principal, files: list[UploadFile] | None, text: str
                      ) -> tuple[list[CheckedReport], list[checking.Refusal]]:
    app = web(request)
    limit = app.settings.max_upload
    items: list[checking.Upload] = []
    refused: list[checking.Refusal] = []
    for f in files or []:
        if not f.filename and not f.size:
            continue
        data = await f.read(limit + 1)
        try:
            got, bad = await run_in_threadpool(checking.unpack, f.filename or "未命名文件", data, max_upload=limit)
        except XxgkError as e:
            if e.code == "too-large":
                raise Refused(413, "too-large", e.message, e.message_en) from None
            raise
        items += got
        refused += bad
    if text.strip():
        data = text.encode("utf-8")
        if len(data) > limit:
            raise Refused(413, "too-large", checking.too_large(checking.PASTE_NAME, len(data), limit).message, "too large")
        items.append(checking.Upload(checking.PASTE_NAME, data))
    if not items and not refused:
        raise Refused(400, "empty", "请选择文件或粘贴报告全文", "choose a file or paste a report")
    rows, bad = await run_in_threadpool(checking.check_uploads, app.office, app.accounts, p.id, p.username, items)
    return rows, refused + bad


@router.post("/check", response_class=HTMLResponse, dependencies=[Csrf])
async def check_upload(request: Request, p: Checker, files: Files = None, text: Text = "") -> Response:
    rows, refused = await take_upload(request, p, files, text)
    if len(rows) == 1 and not refused:
        return RedirectResponse(f"/check/{rows[0].id}", status_code=303)
    return render(request, "check_index.html", status=200 if rows else 400, title="报告核查",
                  crumbs=[("报告核查", "/check"), ("核查结果", None)], checks=_my_checks(request, p),
                  done=[{"id": r.id, "name": r.name, **(r.summary or {})} for r in rows], refused=refused,
                  max_mb=web(request).settings.max_upload // 1048576)


# ---------------------------------------------------------------- one report (upload or corpus)


def _register(prefix: str, permission: str, resolve: Callable[[Request, Principal, int], Subject],
              confirm_permission: str) -> None:
    Reader = Annotated[Principal, Depends(need(permission))]  # noqa: N806
    Confirmer = Annotated[Principal, Depends(need(confirm_permission))]  # noqa: N806

    @router.get(prefix + "/{sid}", response_class=HTMLResponse, name=f"{prefix}-page")
    def page(request: Request, sid: int, p: Reader, finding: int | None = None, cell: str | None = None) -> Response:
        subject = resolve(request, p, sid)
        checked = open_subject(request, subject)
        chosen = view.pick_finding(checked, finding)
        detail = _detail(checked, subject, cell) if cell else None
        return render(request, "check_report.html", title=subject.crumbs[-1][0], crumbs=list(subject.crumbs[:-1])
                      + [(subject.crumbs[-1][0], None)], s=subject, r=checked.report,
                      tables=view.tables(checked.report, view.finding_marks(checked.report, chosen)),
                      findings=view.findings(checked), chosen=finding if chosen is not None else None,
                      ambiguous=view.ambiguous(checked), legend=view.legend(), downloads=DOWNLOADS, d=detail)

    @router.get(prefix + "/{sid}/cell/{cell}", response_class=HTMLResponse, name=f"{prefix}-cell")
    def cell_panel(request: Request, sid: int, cell: str, p: Reader) -> Response:
        subject = resolve(request, p, sid)
        checked = open_subject(request, subject)
        d = _detail(checked, subject, cell)
        if request.headers.get("hx-request"):
            return render(request, "check_cell.html", s=subject, d=d)
        return render(request, "check_cell_page.html", title=cell, s=subject, d=d,
                      crumbs=list(subject.crumbs) + [(d["row"] + " · " + d["column"], None)])

    @router.post(prefix + "/{sid}/cell/{cell}/confirm", dependencies=[Csrf], name=f"{prefix}-confirm")
    def confirm(request: Request, sid: int, cell: str, p: Confirmer,
                value: Annotated[str | None, Form()] = None) -> Response:
        subject = resolve(request, p, sid)
        confirm_cell(request, p, subject, cell, value)
        target = f"{subject.base}?cell={cell}#cell-detail"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @router.get(prefix + "/{sid}/source", response_class=HTMLResponse, name=f"{prefix}-source")
    def source_page(request: Request, sid: int, p: Reader, cell: str | None = None,
                    finding: int | None = None) -> Response:
        subject = resolve(request, p, sid)
        checked = open_subject(request, subject)
        targets = _targets(checked, cell, finding)
        return render(request, "check_source.html", title="原文", s=subject, src=view.source_lines(checked, targets),
                      pages=view.pdf_pages(checked, targets), cell=cell, finding=finding,
                      crumbs=list(subject.crumbs) + [("原文", None)])

    @router.get(prefix + "/{sid}/page/{n}.png", name=f"{prefix}-page-png")
    def page_png(request: Request, sid: int, n: int, p: Reader, cell: str | None = None,
                 finding: int | None = None) -> Response:
        subject = resolve(request, p, sid)
        checked = open_subject(request, subject)
        png = view.pdf_page_png(checked, n, _targets(checked, cell, finding))
        return Response(png, media_type="image/png")

    @router.get(prefix + "/{sid}/download/{fmt}", name=f"{prefix}-download")
    def download_file(request: Request, sid: int, fmt: str, p: Reader) -> Response:
        subject = resolve(request, p, sid)
        return download(open_subject(request, subject), fmt)


def _detail(checked: checking.Checked, subject: Subject, cell: str) -> dict[str, Any]:
    d = view.cell_detail(checked, cell)
    d["source"] = view.source_lines(checked, [cell], around=2)
    d["pages"] = view.pdf_pages(checked, [cell])
    d["may_confirm"] = subject.may_confirm and d["confirmable"]
    return d


_register("/check", "report.check", upload_subject, "report.check")
_register("/reports", "corpus.read", corpus_subject, "cell.confirm")

from xxgk.web import checker_api  # noqa: E402 - the JSON API shares the subjects above

router.include_router(checker_api.router)
