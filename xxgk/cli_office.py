"""``xxgk office …`` (the disclosure office, on :class:`xxgk.office.service.Office`) and ``xxgk deadline``."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from xxgk.errors import XxgkError
from xxgk.office import clock as clk
from xxgk.workdays import Calendar, Overrides

office_app = typer.Typer(
    name="office",
    help="政府信息公开申请办理：登记、期限、收费、决定、台账与年度报告 / the disclosure office: requests on the "
    "statutory clock, fees, decisions, registers and the annual report from the records.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True, markup=False)  # user text may hold [brackets]
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

Db = Annotated[str | None, typer.Option("--db", envvar="XXGK_DATABASE_URL",
                                        help="数据库 URL（默认 sqlite:///xxgk-office.db）/ database URL")]
User = Annotated[str | None, typer.Option("--user", envvar="XXGK_USER", help="经办人（记入审计日志）/ who is acting")]
AgencyArg = Annotated[str, typer.Argument(help="机关代码 / agency code", show_default=False)]
TrackingArg = Annotated[str, typer.Argument(help="申请编号 / tracking number", show_default=False)]
DateArg = Annotated[str, typer.Argument(help="日期 YYYY-MM-DD / date", show_default=False)]
Today = Annotated[str | None, typer.Option("--today", help="以该日为今天（默认系统日期）/ treat this date as today")]


class Fmt(StrEnum):
    text = "text"
    json = "json"


def parse_date(value: str, what: str = "日期") -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise XxgkError("bad-date", f"{what}“{value}”不是有效日期（应为 YYYY-MM-DD）",
                        f"{value!r} is not a valid date (expected YYYY-MM-DD)") from None


def _today(value: str | None) -> dt.date:
    return parse_date(value, "今天") if value else dt.date.today()


@contextmanager
def opened(db: str | None, user: str | None = None, create: bool = False) -> Iterator[Any]:
    from sqlalchemy.exc import SQLAlchemyError

    from xxgk.office.service import Office

    office = Office.open(db, actor=user or getpass.getuser(), create=create)
    try:
        yield office
    except SQLAlchemyError as e:
        first = str(e).strip().splitlines()[0]
        raise XxgkError("database", f"数据库错误：{first}", f"database error: {first}") from None
    finally:
        office.close()


APPLICANT_KEYS = ("name", "kind", "id_type", "id_number", "phone", "email", "address")


def _applicant_file(source: str) -> dict[str, Any]:
    """An applicant from a TOML or JSON file (or standard input, ``-``)."""
    import tomllib

    from xxgk.office.private import read_secret

    text = read_secret(source, "申请人", "applicant")
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise XxgkError("bad-file", f"申请人文件不是有效的 TOML 或 JSON：{first}",
                        f"the applicant file is not valid TOML or JSON: {first}") from None
    if isinstance(data.get("applicant"), dict):
        data = data["applicant"]
    if not isinstance(data, dict):
        raise XxgkError("bad-file", "申请人文件应为键值表", "the applicant file must be a table of keys")
    unknown = sorted(set(data) - set(APPLICANT_KEYS))
    if unknown:
        raise XxgkError("bad-file", f"申请人文件有未知的键：{'、'.join(map(str, unknown))}（可用：{'、'.join(APPLICANT_KEYS)}）",
                        f"unknown keys in the applicant file: {', '.join(map(str, unknown))}")
    return {k: v for k, v in data.items() if v is not None}


def _views_table(views: list[Any], title: str) -> None:
    from xxgk.office.clock import STATUS_LABELS, Status

    table = Table(title=title)
    for col in ("编号", "申请人", "类型", "收到", "状态", "答复期限", "结果"):
        table.add_column(col)
    from xxgk.office.vocab import applicant_kinds, outcomes
    from xxgk.template import template_for_year

    kinds = applicant_kinds()
    for v in views:
        outcome = outcomes(template_for_year(v.closed_on.year)).get(v.outcome, v.outcome) if v.closed_on and v.outcome else ""
        table.add_row(v.tracking_no, v.applicant_name, kinds.get(v.applicant_kind, v.applicant_kind),
                      str(v.received_on), STATUS_LABELS.get(Status(v.status), v.status), str(v.due_on or "—"),
                      outcome)
    out.print(table)


def _print_view(v: Any, fmt: Fmt) -> None:
    if fmt is Fmt.json:
        sys.stdout.write(v.model_dump_json(indent=1) + "\n")
    else:
        from xxgk.office.clock import STATUS_LABELS, Status

        due = v.due_on or ("未定（等待申请人）" if v.status.startswith("waiting") else "—" if v.closed_on
                           else "未定（见 xxgk office show）")
        out.print(f"{v.tracking_no}  状态 {STATUS_LABELS.get(Status(v.status), v.status)}（{v.status}）  答复期限 {due}"
                  + (f"  结果 {v.outcome}（{v.closed_on}）" if v.outcome else ""))


# ---------------------------------------------------------------- database and agencies


@office_app.command()
def init(db: Db = None) -> None:
    """创建或升级数据库 / create or upgrade the database (Alembic migrations)."""
    from xxgk.office.service import database_url, safe_url

    with opened(db, create=True):
        pass
    out.print(f"数据库已就绪 / database ready: {safe_url(database_url(db))}")


@office_app.command("verify")
def verify(
    anchor: Annotated[list[str] | None, typer.Option(
        "--anchor", help="以前记下的链头 机关代码:序号:哈希（可重复；数据库级用 database）/ a chain head noted "
        "earlier, CODE:SEQ:HASH")] = None,
    fmt: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.text, db: Db = None,
) -> None:
    """核验历史记录：哈希链、申请记录与事件、各记录与审计日志；发现问题则逐条说明并以 1 退出 / verify the
    history: the hash chains, requests against their events, rows against the audit trail (exit 1 on a problem)."""
    anchors: dict[str, tuple[int, str]] = {}
    for a in anchor or []:
        name, _, rest = a.rpartition(":")
        name, _, seq = name.rpartition(":")
        if not name or not seq.isdigit() or len(rest) != 64:
            raise XxgkError("usage", f"--anchor 应为 机关代码:序号:哈希：{a}", f"--anchor takes CODE:SEQ:HASH: {a}")
        anchors[name] = (int(seq), rest.lower())
    with opened(db) as o:
        v = o.verify(anchors)
    if fmt is Fmt.json:
        sys.stdout.write(json.dumps({
            "ok": v.ok, "events": v.events, "audit_entries": v.audit_entries, "requests": v.requests,
            "heads": {k: {"seq": n, "hash": h} for k, (n, h) in v.heads.items()},
            "problems": [{"code": p.code, "message": p.message, "message_en": p.message_en} for p in v.problems],
        }, ensure_ascii=False, indent=1) + "\n")
    else:
        for p in v.problems:
            out.print(str(p))
        if v.ok:
            out.print(f"记录完整：{v.events} 个事件、{v.audit_entries} 条审计记录、{v.requests} 件申请均与哈希链和审计日志一致"
                      f" / the records hold: {v.events} events, {v.audit_entries} audit entries, {v.requests} requests")
        else:
            out.print(f"发现 {len(v.problems)} 处问题 / {len(v.problems)} problems found")
        for name, (n, h) in v.heads.items():
            out.print(f"链头 / head  {name}:{n}:{h}")
    if not v.ok:
        raise typer.Exit(1)


@office_app.command("settings")
def settings(
    fee_notice_pauses: Annotated[bool | None, typer.Option(
        "--fee-notice-pauses/--fee-notice-runs",
        help="收费通知未缴费期间是否暂停答复期限（通行做法，未经确认）/ whether an unpaid fee notice stops the "
        "reply clock (UNCONFIRMED practice)", show_default=False)] = None,
    db: Db = None, user: User = None,
) -> None:
    """查看或修改数据库设置（修改后重新计算未办结申请的期限）/ show or change the database's settings."""
    with opened(db, user) as o:
        if fee_notice_pauses is not None:
            changed = o.configure(fee_notice_pauses=fee_notice_pauses)
            out.print(f"已修改，{changed} 件未办结申请的期限随之重算 / changed; {changed} open requests recomputed")
        for key, value in o.settings().items():
            out.print(f"{key} = {str(value).lower()}  （{o.SETTINGS[key][1]}）")


@office_app.command("agency-add")
def agency_add(code: AgencyArg, name: Annotated[str, typer.Argument(help="机关名称", show_default=False)],
               kind: Annotated[str, typer.Option(help="department | government")] = "department",
               db: Db = None, user: User = None) -> None:
    """登记机关 / add an agency."""
    with opened(db, user, create=True) as o:
        a = o.add_agency(code, name, kind)
    out.print(f"已登记机关 / added: {a.code} {a.name}")


@office_app.command("agencies")
def agencies(db: Db = None) -> None:
    """列出机关 / list agencies."""
    with opened(db) as o:
        for a in o.agencies():
            out.print(f"{a.code}\t{a.name}\t{a.kind}")


# ---------------------------------------------------------------- requests


@office_app.command("add")
def add(
    agency: AgencyArg,
    received: Annotated[str, typer.Option("--received", help="收到日期（按渠道规则）", show_default=False)],
    description: Annotated[str, typer.Option("--description", help="申请内容", show_default=False)],
    applicant: Annotated[str | None, typer.Option("--applicant", help="申请人姓名或名称")] = None,
    applicant_file: Annotated[str | None, typer.Option(
        "--applicant-file", help="申请人信息文件（TOML 或 JSON：name、kind、id_type、id_number、phone、email、"
        "address），- 为标准输入；证件号码、电话不必写在命令行上 / the applicant from a file or stdin (-)")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="申请人类型：自然人、商业企业… 或 natural…（默认自然人）")] = None,
    channel: Annotated[str, typer.Option("--channel", help="in_person | registered_post | ordinary_letter | "
                                         "online | fax | email")] = "online",
    submitted: Annotated[str | None, typer.Option("--submitted", help="申请人提交/寄出日期")] = None,
    id_number: Annotated[str | None, typer.Option("--id-number", help="证件号码（会留在命令历史中，宜用 --applicant-file）")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="联系电话（宜用 --applicant-file）")] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    form: Annotated[str | None, typer.Option("--form", help="提供形式：纸质、电子…")] = None,
    tracking_no: Annotated[str | None, typer.Option("--tracking-no", help="自定编号（默认 年份-序号）")] = None,
    today: Today = None, fmt: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.text,
    db: Db = None, user: User = None,
) -> None:
    """登记收到的申请，给出编号和答复期限 / register a request: prints its tracking number and due date.

    证件号码和电话可放在文件中或由标准输入给出，不出现在进程列表和命令历史中 / ID numbers and phone numbers
    can come from a file or standard input (--applicant-file), never visible in ps or the shell history."""
    person = _applicant_file(applicant_file) if applicant_file else {}
    given = {"name": applicant, "kind": kind, "id_number": id_number, "phone": phone, "email": email}
    for k, v in given.items():
        if v is not None and k in person and person[k] != v:
            raise XxgkError("usage", f"--{k.replace('_', '-')} 与申请人文件不一致", f"--{k} differs from the applicant file")
        if v is not None:
            person[k] = v
    if not person.get("name"):
        raise XxgkError("usage", "需要申请人：--applicant 或 --applicant-file", "give --applicant or --applicant-file")
    person.setdefault("kind", "natural")
    item = {"applicant": person, "channel": channel, "received_on": parse_date(received, "收到日期"), "description": description,
            "submitted_on": parse_date(submitted, "提交日期") if submitted else None, "form": form,
            "tracking_no": tracking_no}
    with opened(db, user) as o:
        v = o.add_request(agency, item, today=_today(today))
    _print_view(v, fmt)


@office_app.command("event")
def event(
    agency: AgencyArg, tracking_no: TrackingArg,
    kind: Annotated[str, typer.Argument(help="、".join(clk.EventKind), show_default=False)],
    on: DateArg,
    party: Annotated[str | None, typer.Option(help="征求意见对象")] = None,
    days: Annotated[int | None, typer.Option(help="延长的工作日数（≤20）")] = None,
    approver: Annotated[str | None, typer.Option(help="延长批准人")] = None,
    method: Annotated[str | None, typer.Option(help="收费方式 per_request | per_page")] = None,
    pages: Annotated[int | None, typer.Option(help="按量收费的页数")] = None,
    reply_by: Annotated[str | None, typer.Option("--reply-by", help="补正期限")] = None,
    note: Annotated[str | None, typer.Option(help="备注")] = None,
    today: Today = None, fmt: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.text,
    db: Db = None, user: User = None,
) -> None:
    """记录申请的办理事件（补正、征求意见、延期、收费、送达、撤回、归档）/ record an event on a request."""
    with opened(db, user) as o:
        v = o.record(agency, tracking_no, kind, parse_date(on), today=_today(today), party=party, days=days,
                     approver=approver, method=method, pages=pages, reply_by=reply_by, note=note)
    _print_view(v, fmt)


@office_app.command("decide")
def decide(
    agency: AgencyArg, tracking_no: TrackingArg, on: DateArg,
    outcome: Annotated[str, typer.Argument(help="办理结果：模板行（如 granted、部分公开、本机关不掌握相关政府信息）",
                                           show_default=False)],
    basis: Annotated[str | None, typer.Option("--basis", help="法律依据")] = None,
    reasons: Annotated[str | None, typer.Option("--reasons", help="理由")] = None,
    today: Today = None, fmt: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.text,
    db: Db = None, user: User = None,
) -> None:
    """作出答复决定（办理结果取自年度报告模板的结果行）/ decide a request (an outcome row of the template)."""
    with opened(db, user) as o:
        v = o.decide(agency, tracking_no, parse_date(on), outcome, legal_basis=basis, reasons=reasons,
                     today=_today(today))
    _print_view(v, fmt)


@office_app.command("show")
def show(agency: AgencyArg, tracking_no: TrackingArg,
         fmt: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.text, db: Db = None) -> None:
    """申请详情：事件、答复期限及其计算过程 / a request with its events and its due date explained."""
    with opened(db) as o:
        v = o.get(agency, tracking_no)
        c = o.clock(agency, tracking_no)
        events = o.events(agency, tracking_no)
    if fmt is Fmt.json:
        data = {"request": v.model_dump(mode="json"), "clock": c.to_dict(),
                "events": [{"seq": e.seq, "kind": e.kind, "on": e.on.isoformat(), "actor": e.actor,
                            "data": e.data} for e in events]}
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        return
    out.print(f"{v.tracking_no} {v.applicant_name}（{v.applicant_kind}）{v.description}")
    for e in events:
        out.print(f"  {e.seq}. {e.on} {clk.EVENT_LABELS[clk.EventKind(e.kind)]}（{e.actor}）")
        if e.data.get("notice"):  # the fee notice: basis, bands, amount, payment window
            out.print("     " + str(e.data["notice"]).replace("\n", "\n     "))
    out.print(c.explain())


@office_app.command("list")
def list_(
    agency: AgencyArg,
    due_within: Annotated[int | None, typer.Option("--due-within", min=0, help="N个工作日内到期")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="已超期")] = False,
    waiting: Annotated[bool, typer.Option("--waiting", help="等待申请人补正或缴费")] = False,
    lapsed: Annotated[bool, typer.Option("--lapsed", help="申请人逾期未补正或未缴费，可按（六）1、2办结")] = False,
    year: Annotated[int | None, typer.Option("--year")] = None,
    status: Annotated[str | None, typer.Option("--status")] = None,
    today: Today = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | json | csv | xlsx")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="导出文件 / export file")] = None,
    db: Db = None,
) -> None:
    """列出申请：即将到期、已超期、等待申请人；可导出 CSV/XLSX / list requests; export to CSV or XLSX."""
    with opened(db) as o:
        if due_within is not None:
            views = o.due_soon(agency, _today(today), due_within)
        elif overdue:
            views = o.overdue(agency, _today(today))
        elif waiting:
            views = o.waiting(agency)
        elif lapsed:
            found = o.lapsed(agency, _today(today))
            views = [v for v, _ in found]
            for v, why in found:
                out.print(f"{v.tracking_no}：申请人逾期，可作出决定 {why} / the applicant let the deadline pass: "
                          f"xxgk office decide {agency} {v.tracking_no} DATE {why}")
        else:
            views = o.requests(agency, year=year, status=status)
    if output is not None or fmt in ("csv", "xlsx"):
        from xxgk.office.ledger import export_requests

        if output is None:
            raise XxgkError("usage", f"{fmt.upper()} 输出需要 --output 文件名", f"{fmt.upper()} output needs --output FILE")
        export_requests(views, output, None if fmt == "table" else fmt)
        out.print(f"已导出 {len(views)} 条 / exported {len(views)}: {output}")
    elif fmt == "json":
        sys.stdout.write(json.dumps([v.model_dump(mode="json") for v in views], ensure_ascii=False, indent=1) + "\n")
    else:
        _views_table(views, f"{agency}：{len(views)} 件")


@office_app.command("audit")
def audit(agency: AgencyArg, tracking_no: Annotated[str | None, typer.Argument(help="申请编号")] = None,
          db: Db = None) -> None:
    """审计日志：谁、何时、改前、改后 / the audit trail: who, when, before, after."""
    with opened(db) as o:
        for a in o.audit(agency, tracking_no):
            changed = {k: (a.before or {}).get(k) for k in (a.after or {}) if (a.before or {}).get(k) != (a.after or {}).get(k)}
            what = (a.after or a.before or {}).get("tracking_no") or f"{a.entity}#{a.entity_id}"
            out.print(f"{a.at:%Y-%m-%d %H:%M:%S} {a.actor} {what} {a.action} "
                      + json.dumps({k: [changed[k], (a.after or {}).get(k)] for k in changed if a.before},
                                   ensure_ascii=False))


@office_app.command("import")
def import_(
    agency: AgencyArg,
    path: Annotated[Path, typer.Argument(help="台账 XLSX/CSV", show_default=False)],
    map_: Annotated[list[str] | None, typer.Option("--map", help="字段=表头，如 received_on=登记日期")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查，不写入")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="有任何错误行则全部不导入")] = False,
    today: Today = None, db: Db = None, user: User = None,
) -> None:
    """导入已有的申请台账（XLSX/CSV）；逐行报告不能导入的原因 / import a request ledger, reporting every bad row."""
    from xxgk.office.ledger import import_ledger

    mapping = {}
    for m in map_ or []:
        if "=" not in m:
            raise XxgkError("usage", f"--map 应为 字段=表头：{m}", f"--map takes field=header: {m}")
        k, v = m.split("=", 1)
        mapping[k.strip()] = v.strip()
    with opened(db, user) as o:
        result = import_ledger(o, agency, path, mapping=mapping or None, dry_run=dry_run, strict=strict,
                               today=_today(today))
    for _row, zh, en in result.rejected:
        out.print(f"{zh} / {en}")
    verb = "可导入" if dry_run else "已导入"
    out.print(f"{verb} {len(result.taken)} 行，拒绝 {len(result.rejected)} 行"
              f" / {'would import' if dry_run else 'imported'} {len(result.taken)}, rejected {len(result.rejected)}")
    if result.rejected:
        raise typer.Exit(1)


# ---------------------------------------------------------------- registers, appeals, text


@office_app.command("document")
def document(
    agency: AgencyArg,
    kind: Annotated[str, typer.Argument(help="rules（规章）| normative（行政规范性文件）", show_default=False)],
    number: Annotated[str, typer.Argument(help="文号", show_default=False)],
    issued: Annotated[str | None, typer.Option("--issued", help="制发日期")] = None,
    title: Annotated[str, typer.Option("--title", help="标题")] = "",
    repealed: Annotated[str | None, typer.Option("--repealed", help="废止日期")] = None,
    db: Db = None, user: User = None,
) -> None:
    """登记规章、规范性文件或其废止 / register a rule or normative document, or its repeal."""
    with opened(db, user) as o:
        if issued:
            o.add_document(agency, kind, title or number, number, parse_date(issued, "制发日期"),
                           parse_date(repealed, "废止日期") if repealed else None)
        elif repealed:
            o.repeal_document(agency, kind, number, parse_date(repealed, "废止日期"))
        else:
            raise XxgkError("usage", "需要 --issued 或 --repealed", "give --issued or --repealed")
    out.print(f"已登记 / recorded: {number}")


@office_app.command("actions")
def actions(
    agency: AgencyArg,
    kind: Annotated[str, typer.Argument(help="licensing | penalty | coercion | fees", show_default=False)],
    path: Annotated[Path, typer.Argument(help="台账 CSV/XLSX：编号, 日期[, 金额（元）]", show_default=False)],
    db: Db = None, user: User = None,
) -> None:
    """导入行政许可、处罚、强制决定或收费台账（用于第二部分）/ import a licensing/penalty/coercion/fee ledger."""
    from xxgk.office.ledger import read_actions

    rows = read_actions(path)
    with opened(db, user) as o:
        added, skipped = o.add_actions(agency, kind, rows)
    out.print(f"已导入 {added} 条，跳过已导入的 {skipped} 条 / imported {added}, skipped {skipped} already imported")


@office_app.command("appeal")
def appeal(
    agency: AgencyArg,
    kind: Annotated[str, typer.Argument(help="reconsideration | litigation_direct | litigation_after", show_default=False)],
    filed: DateArg,
    tracking_no: Annotated[str | None, typer.Option("--request", help="引起复议诉讼的申请编号")] = None,
    ref: Annotated[str | None, typer.Option("--ref", help="案号")] = None,
    db: Db = None, user: User = None,
) -> None:
    """登记行政复议或行政诉讼 / record an administrative reconsideration or lawsuit."""
    with opened(db, user) as o:
        a = o.add_appeal(agency, kind, parse_date(filed), tracking_no=tracking_no, ref=ref)
    out.print(f"已登记 / recorded: #{a.id}")


@office_app.command("registers")
def registers(agency: AgencyArg, db: Db = None) -> None:
    """规章和规范性文件登记、复议诉讼（含编号）/ the document register and the appeals, with their ids."""
    with opened(db) as o:
        docs, appeals = o.documents(agency), o.appeals(agency)
    table = Table(title="规章、规范性文件")
    for col in ("类型", "文号", "标题", "制发", "废止"):
        table.add_column(col)
    for d in docs:
        table.add_row("规章" if d.kind == "rules" else "行政规范性文件", d.number, d.title, str(d.issued_on),
                      str(d.repealed_on or ""))
    out.print(table)
    table = Table(title="行政复议、行政诉讼")
    for col in ("编号", "类型", "提起", "结果", "审结"):
        table.add_column(col)
    for a in appeals:
        table.add_row(str(a.id), a.kind, str(a.filed_on), a.outcome or "尚未审结", str(a.concluded_on or ""))
    out.print(table)


@office_app.command("appeal-close")
def appeal_close(agency: AgencyArg, appeal_id: Annotated[int, typer.Argument(show_default=False)],
                 outcome: Annotated[str, typer.Argument(help="upheld | corrected | other", show_default=False)],
                 on: DateArg, db: Db = None, user: User = None) -> None:
    """复议诉讼审结 / conclude an appeal."""
    with opened(db, user) as o:
        o.conclude_appeal(agency, appeal_id, outcome, parse_date(on))
    out.print(f"已审结 / concluded: #{appeal_id}")


@office_app.command("text")
def text(agency: AgencyArg, year: Annotated[int, typer.Argument(show_default=False)],
         part: Annotated[str, typer.Argument(help="overview | proactive | requests | appeals | problems | other",
                                             show_default=False)],
         file: Annotated[Path, typer.Argument(help="正文文本文件（UTF-8）", show_default=False)],
         db: Db = None, user: User = None) -> None:
    """年度报告各部分的正文 / the narrative of one part of the year's report."""
    try:
        body = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise XxgkError("bad-file", f"无法读取正文文件：{file}", f"cannot read the text file: {file} ({e})") from None
    with opened(db, user) as o:
        o.set_text(agency, year, part, body.strip())
    out.print("已保存 / saved")


@office_app.command("figure")
def figure(agency: AgencyArg, year: Annotated[int, typer.Argument(show_default=False)],
           cell: Annotated[str, typer.Argument(help="单元格，如 proactive.procurement.count", show_default=False)],
           value: Annotated[str, typer.Argument(show_default=False)], db: Db = None, user: User = None) -> None:
    """填写台账不能计算的第二部分数字 / enter a part-二 figure the registers do not determine."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise XxgkError("usage", f"不是数字：{value}", f"not a number: {value}") from None
    with opened(db, user) as o:
        o.set_figure(agency, year, cell, number)
    out.print("已保存 / saved")


@office_app.command("calendar")
def calendar(file: Annotated[Path, typer.Argument(help="日历调整表 TOML", show_default=False)],
             agency: Annotated[str | None, typer.Option("--agency", help="只适用于该机关")] = None,
             db: Db = None, user: User = None) -> None:
    """载入本地工作日调整表（新一年的放假通知、本地停止办公日）/ load a local working-day override table."""
    overrides = Overrides.load(file)
    with opened(db, user) as o:
        o.set_calendar(overrides, agency)
    out.print(f"已载入 / loaded: {len(overrides.years)} 个年度，{len(overrides.days)} 个日期")


# ---------------------------------------------------------------- the annual report


@office_app.command("report")
def report(
    agency: AgencyArg, year: Annotated[int, typer.Argument(show_default=False)],
    to: Annotated[str, typer.Option("--to", "-t", help="json | docx | html | pdf | xlsx | md")] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    date: Annotated[str | None, typer.Option("--date", help="落款日期（发布日期）YYYY-MM-DD")] = None,
    db: Db = None,
) -> None:
    """由台账记录生成年度报告（表二、三、四及正文），可直接输出官方格式 / the year's report from the records."""

    with opened(db) as o:
        r = o.tally(agency, year)
    if date:
        r = r.model_copy(update={"published_date": parse_date(date, "落款日期")})
    if to == "json":
        data: str | bytes = r.model_dump_json(indent=1) + "\n"
    else:
        from xxgk.writers import render

        data = render(r, to)
        if to in ("html", "md"):
            data = data.decode("utf-8")
        elif output is None:
            raise XxgkError("usage", f"{to.upper()} 输出需要 --output 文件名", f"{to.upper()} output needs --output FILE")
    if output is None:
        sys.stdout.write(data)  # type: ignore[arg-type]
    else:
        from xxgk.office.private import write_private

        write_private(output, data)  # owner-only: the office's files are the office's
        out.print(f"已输出 / written: {output}")
    for d in r.diagnostics:
        if d.kind == "records-differ":
            err.print(f"警告 / warning: {d.message}")


@office_app.command("compare")
def compare(
    agency: AgencyArg, year: Annotated[int, typer.Argument(show_default=False)],
    published: Annotated[Path, typer.Argument(help="已发布的年度报告（任一可读格式）", show_default=False)],
    fmt: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.text, db: Db = None,
) -> None:
    """逐格比较已发布的年度报告与台账记录 / compare a published report with the records, cell by cell."""
    from xxgk.api import parse
    from xxgk.office.tally import compare as diff

    pub = parse(published)
    with opened(db) as o:
        rec = o.tally(agency, year)
    diffs = diff(pub, rec)
    if fmt is Fmt.json:
        sys.stdout.write(json.dumps(diffs, ensure_ascii=False, indent=1) + "\n")
    else:
        from xxgk.template import load_template

        t = load_template(rec.template)
        for d in diffs:
            if d["cell"] is None:
                out.print(f"{d['message']} / {d['message_en']}")
                continue
            spec = t.cell(d["cell"])
            label = f"{spec.row.numbering}{spec.row.label.text} × {spec.column.label.text}"
            out.print(f"{d['cell']}（{label}）：发布 {_num(d['published'])} ≠ 记录 {_num(d['records'])}（{d['message']}）")
        out.print(f"不一致 {len(diffs)} 处 / {len(diffs)} differences")
    if diffs:
        raise typer.Exit(1)


@office_app.command("county")
def county(year: Annotated[int, typer.Argument(show_default=False)],
           fmt: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.text, db: Db = None) -> None:
    """全部机关本年申请汇总（政务公开办公室视图）/ every agency's requests for the year (the supervisor's view)."""
    if not 2019 <= year <= dt.date.today().year + 1:  # the years Office.tally accepts
        raise XxgkError("bad-year", f"年度 {year} 超出范围（现行年度报告格式自2019年起）",
                        f"year {year} is out of range (the current report formats start in 2019)")
    with opened(db) as o:
        tables = o.county(year)
        names = {a.code: a.name for a in o.agencies()}
    keys = ("new", "carried_in", "total", "carried_out")
    if fmt is Fmt.json:
        sys.stdout.write(json.dumps({code: {k: cells[f"requests.{k}.total"] for k in keys} for code, cells in
                                     tables.items()}, ensure_ascii=False, indent=1) + "\n")
        return
    table = Table(title=f"{year}年政府信息公开申请汇总")
    for col in ("代码", "机关", "本年新收", "上年结转", "办结", "结转下年"):
        table.add_column(col)
    for code, cells in tables.items():
        table.add_row(code, names.get(code, ""), *(str(cells[f"requests.{k}.total"]) for k in keys))
    table.add_row("", "合计", *(str(sum(c[f"requests.{k}.total"] for c in tables.values())) for k in keys))
    out.print(table)


def _num(v: Any) -> str:
    if v is None:
        return "空"
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


# ---------------------------------------------------------------- the calculator


def deadline(
    received: Annotated[str, typer.Argument(help="收到申请的日期 YYYY-MM-DD", show_default=False)],
    correction_received: Annotated[str | None, typer.Option("--correction-received", help="收到补正的日期")] = None,
    consultation: Annotated[list[str] | None, typer.Option(
        "--consultation", help="征求意见 发出日期:答复日期（可重复；未答复写 发出日期:）")] = None,
    extension: Annotated[int, typer.Option("--extension", help="批准延长的工作日数（≤20）")] = 0,
    calendar_file: Annotated[Path | None, typer.Option("--calendar", help="本地日历调整表 TOML")] = None,
    fmt: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.text,
) -> None:
    """答复期限计算器（不需要数据库）：按中国工作日（节假日、调休）计算，并说明每一天 / the reply deadline in
    Chinese working days, explained day by day — no database needed.

    Example: xxgk deadline 2024-09-27 --extension 20 --format json
    """
    cal = Calendar(Overrides.load(calendar_file) if calendar_file else None)
    consults: list[tuple[dt.date, dt.date | None]] = []
    for c in consultation or []:
        sent, _, answered = c.partition(":")
        consults.append((parse_date(sent, "征求意见发出日期"),
                         parse_date(answered, "征求意见答复日期") if answered.strip() else None))
    result = clk.deadline(parse_date(received, "收到日期"), cal,
                          correction_received=parse_date(correction_received, "收到补正日期") if correction_received else None,
                          consultations=consults, extension=extension)
    if fmt is Fmt.json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n")
    else:
        out.print(f"答复截止日期 / due: {result.due}")
        out.print(result.explain())
