"""What the office takes in, checked: requests, applicants, event details, ledger entries.

The pydantic models and small checks the service runs before anything reaches the database
(lengths from the models' columns, dates within the regime, numbers finite and in range; see
:mod:`xxgk.office.limits`), and the view of a request it hands back.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from xxgk.errors import XxgkError
from xxgk.office import limits as lim
from xxgk.office.db import Action, Applicant, Request
from xxgk.office.vocab import applicant_kinds, resolve, resolve_channel

APPLICANT_LABELS = {"name": ("申请人姓名或名称", "applicant name"), "id_type": ("证件类型", "ID type"),
                    "id_number": ("证件号码", "ID number"), "phone": ("联系电话", "phone"),
                    "email": ("电子邮箱", "email"), "address": ("通讯地址", "address")}
REQUEST_LABELS = {"tracking_no": ("申请编号", "tracking number"), "form": ("获取方式", "form"),
                  "description": ("申请内容", "description"), "received_on": ("收到日期", "received date"),
                  "submitted_on": ("提交日期", "submitted date"), "decided_on": ("答复日期", "decision date")}


class ApplicantIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    kind: str = Field(description="table 三 column: natural, commercial, research, social, legal, other_org")
    name: str = Field(min_length=1, max_length=200)
    id_type: str | None = None
    id_number: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        return resolve(v, applicant_kinds(), "申请人类型", "applicant kind")

    @field_validator("name", "id_type", "id_number", "phone", "email", "address", mode="before")
    @classmethod
    def _text(cls, v: Any, info: Any) -> Any:
        zh, en = APPLICANT_LABELS[info.field_name]
        return lim.text(v, zh, en, limit=lim.column_length(Applicant.__table__.c[info.field_name]),
                        required=info.field_name == "name")


class RequestIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    applicant: ApplicantIn
    channel: str
    received_on: dt.date = Field(description="the day of receipt by the channel's rule (条例 第三十一条)")
    submitted_on: dt.date | None = None
    description: str = Field(min_length=1)
    form: str | None = None
    tracking_no: str | None = None
    decided_on: dt.date | None = Field(default=None, description="for requests imported already decided")
    outcome: str | None = None

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        return resolve_channel(v)

    @field_validator("tracking_no", "form", "description", "outcome", mode="before")
    @classmethod
    def _text(cls, v: Any, info: Any) -> Any:
        zh, en = REQUEST_LABELS.get(info.field_name, ("办理结果", "outcome"))
        col = Request.__table__.c.get(info.field_name)
        return lim.text(v, zh, en, limit=lim.column_length(col) if col is not None else 200,
                        line=info.field_name != "description", required=info.field_name == "description")

    @field_validator("received_on", "submitted_on", "decided_on")
    @classmethod
    def _date(cls, v: dt.date | None, info: Any) -> dt.date | None:
        zh, en = REQUEST_LABELS[info.field_name]
        return None if v is None else lim.date(v, zh, en, today=None)


class RequestView(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    tracking_no: str
    year: int
    applicant_name: str
    applicant_kind: str
    channel: str
    received_on: dt.date
    description: str
    status: str
    due_on: dt.date | None
    correction_due_on: dt.date | None
    payment_due_on: dt.date | None
    closed_on: dt.date | None
    outcome: str | None
    on_time: bool | None
    fee_amount: int | None


def view(r: Request) -> RequestView:
    return RequestView(
        tracking_no=r.tracking_no, year=r.year, applicant_name=r.applicant.name, applicant_kind=r.applicant_kind,
        channel=r.channel, received_on=r.received_on, description=r.description, status=r.status,
        due_on=r.due_on, correction_due_on=r.correction_due_on, payment_due_on=r.payment_due_on,
        closed_on=r.closed_on, outcome=r.outcome, on_time=r.on_time, fee_amount=r.fee_amount,
    )


EVENT_TEXT = {"party": ("征求意见对象", "party", 200, True), "approver": ("批准人", "approver", 100, True),
              "method": ("收费方式", "fee method", 20, True), "outcome": ("办理结果", "outcome", 200, True),
              "note": ("备注", "note", 2000, False), "legal_basis": ("法律依据", "legal basis", lim.MAX_TEXT, False),
              "reasons": ("理由", "reasons", lim.MAX_TEXT, False)}


def event_data(data: dict[str, Any]) -> dict[str, Any]:
    """The details a caller may give an event, checked (JSON the same on both databases); the rest
    (a fee amount, a template) the service works out itself."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        if k in EVENT_TEXT:
            zh, en, limit, line = EVENT_TEXT[k]
            out[k] = lim.text(v, zh, en, limit=limit, line=line)
        elif k == "days":
            out[k] = lim.count(v, "延长的工作日数", "extension days", lo=-lim.MAX_INT)
        elif k == "pages":
            out[k] = lim.count(v, "页数", "pages", hi=lim.MAX_PAGES)
        elif k == "reply_by":
            if isinstance(v, str):
                try:
                    v = dt.date.fromisoformat(v.strip())
                except ValueError:
                    raise XxgkError("bad-date", f"补正期限“{v}”不是有效日期（YYYY-MM-DD）",
                                    f"correction deadline {v!r} is not a date (YYYY-MM-DD)") from None
            out[k] = lim.date(v, "补正期限", "correction deadline", today=None).isoformat()
        else:
            raise XxgkError("bad-input", f"事件不接受字段 {k}", f"an event takes no field {k!r}")
    return out


def report_year(year: int) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not 2019 <= year <= dt.date.today().year + 1:
        raise XxgkError("bad-year", f"年度 {year} 超出范围（现行年度报告格式自2019年起）",
                        f"year {year} is out of range (the current report formats start in 2019)")
    return year


def action_row(row: tuple[str, dt.date, Decimal | None], today: dt.date) -> tuple[str, dt.date, Decimal | None]:
    """One ledger entry checked: its number, a date in the regime, an amount NUMERIC(18,2) holds."""
    ref, on, amount = row
    ref = lim.text(ref, "台账编号", "ledger number", limit=lim.column_length(Action.__table__.c.ref), required=True)  # type: ignore[assignment]
    lim.date(on, f"台账 {ref} 的日期", f"the date of ledger entry {ref}", today=today, earliest=lim.EARLIEST_DOCUMENT)
    if amount is not None:
        amount = lim.amount(amount, f"台账 {ref} 的金额", f"the amount of ledger entry {ref}")
    return ref, on, amount


def validated(model: type[BaseModel], data: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        ctx = err.get("ctx", {}).get("error")
        if isinstance(ctx, XxgkError):
            raise ctx from None
        where = ".".join(str(x) for x in err["loc"])
        raise XxgkError("bad-input", f"字段 {where} 无效：{err['msg']}", f"invalid field {where}: {err['msg']}") from None
