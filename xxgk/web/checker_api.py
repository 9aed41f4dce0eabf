"""The checker's JSON API (``/api/v1``): upload reports to check, read a checked report (the report
with confirmations applied, its findings, the confirmations on record), confirm an ambiguous cell,
and read a corpus report the same way. Same permissions and scope as the pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from xxgk.web import checking
from xxgk.web.accounts import Principal
from xxgk.web.deps import Csrf, need

router = APIRouter(prefix="/api/v1", tags=["报告核查"])
Checker = Annotated[Principal, Depends(need("report.check"))]
Reader = Annotated[Principal, Depends(need("corpus.read"))]


def _view(kind: str, sid: int, checked: checking.Checked) -> dict[str, Any]:
    return {"kind": kind, "id": sid, "name": checked.name, "content_hash": checked.content_hash,
            "report": checked.report.model_dump(mode="json"),
            "findings": [f.model_dump(mode="json") for f in checked.findings],
            "confirmations": checked.confirmations}


@router.post("/checks", dependencies=[Csrf], status_code=201, summary="上传报告（文件、ZIP 或文本）并核查")
async def api_check(request: Request, p: Checker, files: Annotated[list[UploadFile] | None, File()] = None,
                    text: Annotated[str, Form()] = "") -> JSONResponse:
    from xxgk.web.routes_checker import take_upload

    rows, refused = await take_upload(request, p, files, text)
    body = {"checks": [{"id": r.id, "name": r.name, "url": f"/api/v1/checks/{r.id}", **(r.summary or {})}
                       for r in rows],
            "refused": [{"name": x.name, "code": x.code, "message": x.reason} for x in refused]}
    return JSONResponse(body, status_code=201 if rows else 400)


@router.get("/checks/{sid}", summary="核查结果：报告、核查意见与人工确认")
def api_checked(request: Request, sid: int, p: Checker) -> dict[str, Any]:
    from xxgk.web.routes_checker import open_subject, upload_subject

    return _view("check", sid, open_subject(request, upload_subject(request, p, sid)))


@router.post("/checks/{sid}/cells/{cell}/confirm", dependencies=[Csrf], summary="确认待定单元格（值须为候选值之一）")
def api_confirm(request: Request, sid: int, cell: str, p: Checker,
                value: Annotated[float | None, Body(embed=True)]) -> dict[str, Any]:
    from xxgk.web.routes_checker import confirm_cell, upload_subject

    checked = confirm_cell(request, p, upload_subject(request, p, sid), cell,
                           None if value is None else repr(value))
    return _view("check", sid, checked)


@router.get("/reports/{sid}", summary="报告库中的一份报告：报告、核查意见与人工确认")
def api_report(request: Request, sid: int, p: Reader) -> dict[str, Any]:
    from xxgk.web.routes_checker import corpus_subject, open_subject

    return _view("report", sid, open_subject(request, corpus_subject(request, p, sid)))
