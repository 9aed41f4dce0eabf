"""The disclosure office's Python API: the CLI and the web application both call this.

One :class:`Office` wraps a database (SQLite file by default, PostgreSQL by URL). Every method runs
in one transaction: it either writes everything or nothing. Every change to a request is an event
(append-only) and an audit entry (who, when, before, after), each a link of the agency's hash chain
(:mod:`xxgk.office.chain`); the request row is the projection of its events through
:func:`xxgk.office.clock.replay`, and :meth:`Office.verify` checks all of it.

Concurrency: a write transaction first locks its agency's chain head (PostgreSQL ``FOR UPDATE``;
SQLite ``BEGIN IMMEDIATE``, WAL, a 30 s busy timeout), so clerks of one agency queue for a few
milliseconds instead of failing; tracking numbers come from a per-agency-per-year counter taken with
an atomic upsert; a deadlock or serialization failure is retried. Every value is checked by
:mod:`xxgk.office.limits` first, so SQLite and PostgreSQL accept exactly the same data.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from importlib import resources
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from xxgk.errors import XxgkError
from xxgk.office import chain
from xxgk.office import clock as clk
from xxgk.office import limits as lim
from xxgk.office.db import (
    Action,
    Agency,
    Appeal,
    Applicant,
    AuditEntry,
    CalendarDay,
    CalendarYear,
    Document,
    ReportFigure,
    ReportText,
    Request,
    RequestEvent,
    TrackingCounter,
    utcnow,
)
from xxgk.office.inputs import (  # noqa: F401 - ApplicantIn is imported from here too
    ApplicantIn,
    RequestIn,
    RequestView,
    action_row,
    event_data,
    report_year,
    validated,
)
from xxgk.office.inputs import view as _view
from xxgk.office.vocab import (
    ACTION_KINDS,
    CHANNELS,
    DOCUMENT_KINDS,
    OVERDUE_CORRECTION,
    OVERDUE_FEE,
    WITHDRAWN_OUTCOME,
    appeal_kinds,
    appeal_outcomes,
    outcome_for,
    resolve,
)
from xxgk.workdays import Calendar, Overrides

DEFAULT_URL = "sqlite:///xxgk-office.db"
FEES_IN_FORCE = dt.date(2021, 1, 1)  # 国办函〔2020〕109号: 本办法自2021年1月1日起施行
BUSY_TIMEOUT_S = 30  # SQLite: how long a writer waits for another's transaction before giving up
RETRIES = 5  # a write refused by a deadlock or a serialization failure is tried again this often
T = TypeVar("T")


def database_url(url: str | None = None) -> str:
    return url or os.environ.get("XXGK_DATABASE_URL") or DEFAULT_URL


def safe_url(url: str) -> str:
    """The URL with its password masked, for every message and output."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL: mask what looks like user:password@
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _jsonable(v: Any) -> Any:
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


def snapshot(obj: Any) -> dict[str, Any]:
    return {c.key: _jsonable(getattr(obj, c.key)) for c in inspect(obj).mapper.column_attrs}


WRITE = "xxgk_write"  # execution option: this transaction writes (SQLite: BEGIN IMMEDIATE)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # xxgk emits BEGIN itself (_sqlite_begin): the driver's own transaction handling is off
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer, nor it for them
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    """A writing transaction takes SQLite's write lock at BEGIN (waiting up to the busy timeout):
    begun as a reader and upgraded later, it could be refused at once ("database is locked")
    when another writer committed in between."""
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")


def _create_private_sqlite(url: str) -> None:
    """Create a new SQLite database file readable by its owner only (0600); SQLite gives its -wal and
    -shm files the same mode. An existing file keeps its mode."""
    try:
        path = make_url(url).database
    except Exception:  # noqa: BLE001 - a malformed URL is reported when the engine is made
        return
    if not path or path == ":memory:" or path.startswith("file:") or os.path.exists(path):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as e:
        raise XxgkError("database", f"无法创建数据库文件 {path}：{e.strerror}",
                        f"cannot create the database file {path}: {e.strerror}") from None


def create_database_engine(url: str, *, sqlite_timeout: float | None = None,
                           example: str = "sqlite:///xxgk.db") -> Engine:
    """An engine for ``url`` (the office's and the corpus's), a missing driver or a malformed URL
    said in one line with the password masked."""
    try:
        # psycopg's server-side prepared statements get a generic plan made while the tables are
        # small (lookups by tracking number then ignore their index as the table grows): off.
        args: dict[str, Any] = {"prepare_threshold": None} if url.startswith("postgresql+psycopg") else {}
        if url.startswith("sqlite") and sqlite_timeout is not None:
            args["timeout"] = sqlite_timeout
        return create_engine(url, connect_args=args)
    except ModuleNotFoundError as e:
        raise XxgkError("database", f"缺少数据库驱动 {e.name}：请安装 pip install 'xxgk[postgres]'",
                        f"missing database driver {e.name}: pip install 'xxgk[postgres]'") from None
    except Exception as e:  # a malformed URL
        raise XxgkError("database", f"数据库 URL 格式错误：{safe_url(url)}（例如 {example} 或 "
                        "postgresql+psycopg://user@host/db）",
                        f"malformed database URL: {safe_url(url)} (e.g. {example} or "
                        "postgresql+psycopg://user@host/db)") from e


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (Alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("xxgk.office") / "migrations"))
    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITE: True})
        with conn.begin():
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")


def _connect_error(url: str, e: Exception) -> XxgkError:
    safe = safe_url(url)
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return XxgkError("database", f"无法连接数据库 {safe}：{first}", f"cannot open the database {safe}: {first}")


def _retryable(e: DBAPIError) -> bool:
    """A deadlock or a serialization failure (PostgreSQL): another clerk's transaction won."""
    code = getattr(e.orig, "sqlstate", None) or getattr(e.orig, "pgcode", None)
    return code in ("40001", "40P01")


def _busy(e: DBAPIError) -> XxgkError | None:
    """SQLite still locked after the busy timeout: a clear line rather than the driver's."""
    if "database is locked" not in str(e.orig):
        return None
    return XxgkError("busy", f"数据库正被其他操作占用，{BUSY_TIMEOUT_S} 秒内未能写入，请稍后重试",
                     f"the database stayed locked by another writer for {BUSY_TIMEOUT_S} s: try again later")


class Office:
    """The office of one or many agencies in one database."""

    def __init__(self, engine: Engine, *, actor: str = "system", rules: clk.Rules | None = None) -> None:
        self.engine = engine
        self.actor = actor  # checked by the setter below
        self.rules = rules or clk.Rules()
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._calendars: dict[int | None, Calendar] = {}

    @classmethod
    def open(cls, url: str | None = None, *, actor: str = "system", create: bool = True,
             rules: clk.Rules | None = None) -> Office:
        """Open (and by default create or upgrade) the database at ``url``."""
        url = database_url(url)
        if url.startswith("sqlite:///") and not create:
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:" and not os.path.exists(path):
                raise XxgkError("database", f"数据库不存在：{path}（请先运行 xxgk office init）",
                                f"no database at {path} (run xxgk office init first)")
        if url.startswith("sqlite:///") and create:
            _create_private_sqlite(url)
        engine = create_database_engine(url, sqlite_timeout=BUSY_TIMEOUT_S, example="sqlite:///office.db")
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        try:
            if create:
                migrate(engine)
            else:
                with engine.connect() as conn:
                    if not inspect(conn).has_table("request"):
                        raise XxgkError("database", f"数据库尚未初始化：{safe_url(url)}（请先运行 xxgk office init）",
                                        f"the database is not initialised: {safe_url(url)} (run xxgk office init)")
        except (OperationalError, ProgrammingError, DatabaseError) as e:
            raise _connect_error(url, e) from None
        office = cls(engine, actor=actor, rules=rules)
        if rules is None:
            office.rules = office._stored_rules()
        return office

    SETTINGS = {"fee_notice_pauses": (bool, "收费通知未缴费期间暂停答复期限（通行做法，未经确认）",
                                      "an unpaid fee notice stops the reply clock (UNCONFIRMED practice)")}

    def settings(self) -> dict[str, Any]:
        """The database's settings (defaults where never set)."""
        from xxgk.office.db import Setting

        out: dict[str, Any] = {"fee_notice_pauses": clk.Rules().fee_notice_pauses}
        with self.session() as s:
            if inspect(s.connection()).has_table("setting"):
                out.update({x.key: x.value.get("value") for x in s.scalars(select(Setting))})
        return out

    def _stored_rules(self) -> clk.Rules:
        return clk.Rules(fee_notice_pauses=bool(self.settings()["fee_notice_pauses"]))

    def configure(self, **values: Any) -> int:
        """Change settings of the whole database; open requests' clocks are replayed under them.
        Returns how many requests changed."""
        from xxgk.office.db import Setting

        for key in values:
            if key not in self.SETTINGS:
                raise XxgkError("unknown-setting", f"未知的设置：{key}", f"unknown setting: {key}")
        with self.writing() as s:
            self._lock(s, None)
            for key, value in values.items():
                row = s.get(Setting, key)
                before = dict(row.value) if row else None
                if row is None:
                    row = Setting(key=key, value={})
                    s.add(row)
                row.value = {"value": self.SETTINGS[key][0](value)}
                self._audit(s, None, "setting", 0, f"set-{key}", before, dict(row.value))
        self.rules = self._stored_rules()
        return self.refresh()

    def close(self) -> None:
        self.engine.dispose()

    @property
    def actor(self) -> str:
        return self._actor

    @actor.setter
    def actor(self, value: str) -> None:
        self._actor = lim.text(value, "经办人", "user", limit=lim.column_length(AuditEntry.__table__.c.actor),
                               required=True)  # type: ignore[assignment]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction that reads (it may write, but on SQLite it does not queue for the write lock)."""
        with self._sessions() as s, s.begin():
            yield s

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A transaction that writes: on SQLite it takes the write lock at BEGIN (waiting for other
        writers up to the busy timeout), so it never fails half-way for a lock."""
        with self._sessions() as s, s.begin():
            s.connection(execution_options={WRITE: True})
            yield s

    def _retry(self, work: Callable[[], T]) -> T:
        """Run a whole transaction again when the database refused it for a deadlock or a
        serialization failure (another clerk's transaction won); any other error is the caller's."""
        for attempt in range(RETRIES):
            try:
                return work()
            except DBAPIError as e:
                busy = _busy(e)
                if busy is not None:
                    raise busy from None
                if attempt == RETRIES - 1 or not _retryable(e):
                    raise
                time.sleep(0.05 * (2 ** attempt) * (1 + secrets.randbelow(100) / 100))
        raise AssertionError("unreachable")  # pragma: no cover

    def _lock(self, s: Session, agency_id: int | None) -> None:
        """Take the agency's chain (its history) for this transaction: writers of one agency queue here."""
        chain.lock_head(s, chain.chain_of(agency_id))

    # ------------------------------------------------------------ agencies

    def add_agency(self, code: str, name: str, kind: str = "department") -> Agency:
        code = lim.text(code, "机关代码", "agency code", limit=lim.column_length(Agency.__table__.c.code)) or ""
        name = lim.text(name, "机关名称", "agency name", limit=lim.column_length(Agency.__table__.c.name)) or ""
        if not code or not name:
            raise XxgkError("bad-agency", "机关代码和名称不能为空", "agency code and name are required")
        if kind not in ("department", "government"):
            raise XxgkError("bad-agency", f"机关类型应为 department（部门）或 government（政府）：{kind!r}",
                            f"agency kind must be department or government: {kind!r}")
        with self.writing() as s:
            if s.scalar(select(Agency).where(Agency.code == code)) is not None:
                raise XxgkError("duplicate-agency", f"机关代码已存在：{code}", f"agency code already exists: {code}")
            a = Agency(code=code, name=name, kind=kind)
            s.add(a)
            s.flush()
            self._audit(s, a.id, "agency", a.id, "create", None, snapshot(a))
            return a

    def agencies(self) -> list[Agency]:
        with self.session() as s:
            return list(s.scalars(select(Agency).order_by(Agency.code)))

    def agency(self, code: str) -> Agency:
        with self.session() as s:
            return self._agency(s, code)

    def _agency(self, s: Session, code: str) -> Agency:
        code = lim.text(code, "机关代码", "agency code", limit=None, required=True)  # type: ignore[assignment]
        a = s.scalar(select(Agency).where(Agency.code == code))
        if a is None:
            raise XxgkError("unknown-agency", f"没有代码为 {code} 的机关", f"no agency with code {code}")
        return a

    # ------------------------------------------------------------ calendar

    def calendar(self, agency_id: int | None = None) -> Calendar:
        cal = self._calendars.get(agency_id)
        if cal is None:
            with self.session() as s:
                cal = self._calendar(s, agency_id)
        return cal

    def _calendar(self, s: Session, agency_id: int | None) -> Calendar:
        cal = self._calendars.get(agency_id)
        if cal is None:
            years = {y.year: y.source for y in s.scalars(select(CalendarYear))}
            days: dict[dt.date, tuple[bool, str]] = {}
            rows = s.scalars(select(CalendarDay).where(
                (CalendarDay.agency_id.is_(None)) | (CalendarDay.agency_id == agency_id)))
            for d in sorted(rows, key=lambda r: r.agency_id is not None):  # agency's own entries win
                days[d.on] = (d.workday, d.note)
            cal = self._calendars[agency_id] = Calendar(Overrides(years=years, days=days))
        return cal

    def set_calendar(self, overrides: Overrides, agency: str | None = None) -> None:
        """Load an override table (a year's notice, local closures) into the database."""
        for year, source in overrides.years.items():
            lim.count(year, "日历年度", "calendar year", lo=lim.REGIME_START.year - 5, hi=9999)
            lim.text(source, "放假通知", "calendar source", limit=lim.column_length(CalendarYear.__table__.c.source))
        for _, note in overrides.days.values():
            lim.text(note, "日历备注", "calendar note", limit=lim.column_length(CalendarDay.__table__.c.note))
        with self.writing() as s:
            aid = self._agency(s, agency).id if agency else None
            self._lock(s, aid)
            for year, source in overrides.years.items():
                row = s.get(CalendarYear, year) or CalendarYear(year=year)
                row.source = source
                s.add(row)
            for day, (workday, note) in overrides.days.items():
                row = s.scalar(select(CalendarDay).where(CalendarDay.on == day, CalendarDay.agency_id.is_(aid)
                                                         if aid is None else CalendarDay.agency_id == aid))
                if row is None:
                    row = CalendarDay(agency_id=aid, on=day)
                row.workday, row.note = workday, note
                s.add(row)
            self._audit(s, aid, "calendar", 0, "update", None,
                        {"years": sorted(overrides.years), "days": len(overrides.days)})
        self._calendars.clear()
        self.refresh(agency)

    def refresh(self, agency: str | None = None) -> int:
        """Replay the open requests' clocks (after a calendar change); returns how many changed."""
        changed = 0
        with self.writing() as s:
            q = select(Request).where(Request.closed_on.is_(None))
            if agency:
                q = q.where(Request.agency_id == self._agency(s, agency).id)
            for r in s.scalars(q.order_by(Request.agency_id, Request.id)):  # chains locked in one order
                before = snapshot(r)
                _project(r, clk.replay(_events(s, r), self._calendar(s, r.agency_id), self.rules))
                after = snapshot(r)
                if after != before:
                    changed += 1
                    self._audit(s, r.agency_id, "request", r.id, "recomputed", before, after)
        return changed

    # ------------------------------------------------------------ requests

    def add_request(self, agency: str, request: RequestIn | dict[str, Any], *,
                    today: dt.date | None = None) -> RequestView:
        """Register a request received by ``agency``; returns it with its tracking number and due date."""
        return self.add_requests(agency, [request], today=today)[0]

    def add_requests(self, agency: str, requests: list[RequestIn | dict[str, Any]], *,
                     today: dt.date | None = None, dry_run: bool = False) -> list[RequestView]:
        """Register several requests in one transaction: all of them, or (on the first error) none.

        ``dry_run``: do everything, return what would be registered, and roll back.
        """
        today = today or dt.date.today()
        items = [r if isinstance(r, RequestIn) else validated(RequestIn, r) for r in requests]

        def work() -> list[RequestView]:
            with self._sessions() as s, s.begin() as tx:
                s.connection(execution_options={WRITE: True})
                a = self._agency(s, agency)
                self._lock(s, a.id)
                own = {(r.tracking_no or "").strip() for r in items} - {""}
                wanted = Counter(r.received_on.year for r in items if not (r.tracking_no or "").strip())
                numbers = {y: self._reserve(s, a.id, y, k, own) for y, k in sorted(wanted.items())}
                views = [self._add_request(s, a, req, today, numbers) for req in items]
                if dry_run:
                    tx.rollback()
                return views

        return self._retry(work)

    def same_request(self, agency: str, applicant_name: str, received_on: dt.date, description: str) -> str | None:
        """The tracking number of a request already registered with the same applicant, date of
        receipt and text (a ledger imported twice), if there is one."""
        with self.session() as s:
            a = self._agency(s, agency)
            return s.scalar(select(Request.tracking_no).join(Applicant).where(
                Request.agency_id == a.id, Request.received_on == received_on,
                Request.description == description, Applicant.name == applicant_name).limit(1))

    def check_requests(self, agency: str, requests: list[RequestIn | dict[str, Any]], *,
                       today: dt.date | None = None) -> list[XxgkError | None]:
        """Why each request, on its own, would be refused (None: it would be taken). Writes nothing."""
        from sqlalchemy.exc import SQLAlchemyError

        today = today or dt.date.today()
        out: list[XxgkError | None] = []
        for data in requests:
            try:
                self.add_requests(agency, [data], today=today, dry_run=True)
                out.append(None)
            except XxgkError as e:
                out.append(e)
            except SQLAlchemyError as e:
                first = (str(e.orig) if getattr(e, "orig", None) else str(e)).strip().splitlines()[0]
                out.append(XxgkError("database", f"数据库拒绝此行：{first}", f"the database refused the row: {first}"))
        return out

    def _add_request(self, s: Session, a: Agency, req: RequestIn, today: dt.date,
                     numbers: dict[int, deque[str]]) -> RequestView:
        if req.received_on > today:
            raise XxgkError("bad-date", f"收到日期 {req.received_on} 晚于今天（{today}）",
                            f"received on {req.received_on}, which is after today ({today})")
        if req.submitted_on and req.submitted_on > req.received_on:
            raise XxgkError("bad-date", f"提交日期 {req.submitted_on} 晚于收到日期 {req.received_on}",
                            f"submitted on {req.submitted_on}, after it was received ({req.received_on})")
        if req.channel == "in_person" and req.submitted_on and req.submitted_on != req.received_on:
            raise XxgkError("bad-date", "当面提交的申请，收到日期即提交之日（条例第三十一条）",
                            "a request made in person is received the day it is submitted (条例 art. 31)")
        if (req.decided_on is None) != (req.outcome is None):
            raise XxgkError("bad-input", "办理结果和答复日期须同时填写", "an outcome needs its decision date, and back")
        if req.decided_on is not None and req.decided_on > today:
            raise XxgkError("bad-date", f"答复日期 {req.decided_on} 晚于今天（{today}）",
                            f"decided on {req.decided_on}, which is after today ({today})")
        cal = self._calendar(s, a.id)
        year = req.received_on.year
        tracking = (req.tracking_no or "").strip()
        if not tracking:
            tracking = numbers[year].popleft()  # reserved for this batch, checked free
        elif s.scalar(select(Request.id).where(Request.agency_id == a.id, Request.tracking_no == tracking)):
            raise XxgkError("duplicate-tracking", f"申请编号已存在：{tracking}",
                            f"tracking number already exists: {tracking}")
        events = [clk.Event(clk.EventKind.received, req.received_on,
                            {"channel": req.channel, "receipt_rule": CHANNELS[req.channel].receipt_rule,
                             "applicant_kind": req.applicant.kind})]  # the column table 三 counts it in
        state = clk.replay(events, cal, self.rules)
        if req.decided_on is not None:
            data = self._decision_data(state, req.decided_on, {"outcome": req.outcome})
            events.append(clk.Event(clk.EventKind.decided, req.decided_on, data))
            state = clk.replay(events, cal, self.rules)
        ap = Applicant(agency_id=a.id, **req.applicant.model_dump())
        s.add(ap)
        s.flush()
        self._audit(s, a.id, "applicant", ap.id, "create", None, chain.applicant_digest(ap, secrets.token_hex(8)))
        r = Request(
            agency_id=a.id, tracking_no=tracking, year=year, applicant_id=ap.id,
            applicant_kind=req.applicant.kind, channel=req.channel, submitted_on=req.submitted_on,
            received_on=req.received_on, description=req.description, form=req.form, status="open",
        )
        r.applicant = ap
        _project(r, state)
        s.add(r)
        try:
            s.flush()
        except IntegrityError:
            raise XxgkError("duplicate-tracking", f"申请编号已存在：{tracking}",
                            f"tracking number already exists: {tracking}") from None
        for i, ev in enumerate(events, 1):
            self._event(s, r, i, ev)
        self._audit(s, a.id, "request", r.id, "received", None, snapshot(r))
        return _view(r)

    def _reserve(self, s: Session, agency_id: int, year: int, k: int, explicit: set[str]) -> deque[str]:
        """``k`` numbers ``YEAR-NNNN`` for the agency's year: its counter advanced by one atomic upsert
        (the row stays locked until the transaction ends, so no two clerks get one number); numbers an
        imported ledger already used, or this batch brings, are skipped. A new counter starts after
        the year's requests already held."""
        if s.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        c = TrackingCounter.__table__.c
        out: deque[str] = deque()
        while len(out) < k:
            need = k - len(out)
            held = (select(func.count() + need).select_from(Request)
                    .where(Request.agency_id == agency_id, Request.year == year).scalar_subquery())
            last = s.execute(dialect_insert(TrackingCounter.__table__).values(agency_id=agency_id, year=year, n=held)
                             .on_conflict_do_update(index_elements=[c.agency_id, c.year], set_={"n": c.n + need})
                             .returning(c.n)).scalar_one()
            numbers = [f"{year}-{n:04d}" for n in range(last - need + 1, last + 1)]
            taken = set()
            for i in range(0, len(numbers), 1000):
                taken |= set(s.scalars(select(Request.tracking_no).where(
                    Request.agency_id == agency_id, Request.tracking_no.in_(numbers[i:i + 1000]))))
            out.extend(n for n in numbers if n not in taken and n not in explicit)
        return out

    def record(self, agency: str, tracking_no: str, kind: str | clk.EventKind, on: dt.date, *,
               today: dt.date | None = None, **data: Any) -> RequestView:
        """Record an event on a request; refused (nothing written) if the law does not allow it."""
        try:
            ek = clk.EventKind(kind)
        except ValueError:
            raise XxgkError("unknown-event", f"未知的事件类型：{kind!r}；可选：{'、'.join(clk.EventKind)}",
                            f"unknown event kind: {kind!r}; expected one of: {', '.join(clk.EventKind)}") from None
        if ek == clk.EventKind.received:
            raise XxgkError("sequence", "登记收到申请请用 xxgk office add", "register a request with xxgk office add")
        if ek == clk.EventKind.decided and not data.get("outcome"):
            raise XxgkError("sequence", "作出决定请用 xxgk office decide（须写明办理结果）",
                            "decide with xxgk office decide (an outcome is required)")
        today = today or dt.date.today()
        if on > today:
            raise XxgkError("bad-date", f"事件日期 {on} 晚于今天（{today}）", f"event date {on} is after today ({today})")
        lim.date(on, "事件日期", "event date", today=today)
        data = event_data({k: v for k, v in data.items() if v is not None})
        return self._retry(lambda: self._record(agency, tracking_no, ek, on, data))

    def _record(self, agency: str, tracking_no: str, ek: clk.EventKind, on: dt.date,
                data: dict[str, Any]) -> RequestView:
        data = dict(data)
        with self.writing() as s:
            a = self._agency(s, agency)
            self._lock(s, a.id)
            r = self._request(s, a.id, tracking_no)
            cal = self._calendar(s, a.id)
            events = _events(s, r)
            prior = clk.replay(events, cal, self.rules)
            if ek == clk.EventKind.decided:
                data = self._decision_data(prior, on, data)
            elif ek == clk.EventKind.withdrawn:
                data["outcome"] = WITHDRAWN_OUTCOME[_template_id(on.year)]
            elif ek == clk.EventKind.fee_notice_sent:
                data = self._fee_data(s, r, on, data)
            new = clk.Event(ek, on, data)
            state = clk.replay([*events, new], cal, self.rules)
            before = snapshot(r)
            _project(r, state)
            if ek == clk.EventKind.decided:
                r.legal_basis = data.get("legal_basis")
                r.reasons = data.get("reasons")
            r.updated_at = utcnow()
            self._event(s, r, len(events) + 1, new)
            self._audit(s, a.id, "request", r.id, ek.value, before, snapshot(r))
            return _view(r)

    def decide(self, agency: str, tracking_no: str, on: dt.date, outcome: str, *,
               legal_basis: str | None = None, reasons: str | None = None,
               today: dt.date | None = None) -> RequestView:
        """Decide a request: ``outcome`` is a result row of table 三 in the template of ``on``'s year."""
        return self.record(agency, tracking_no, clk.EventKind.decided, on, today=today, outcome=outcome,
                           legal_basis=legal_basis, reasons=reasons)

    def _decision_data(self, prior: clk.Clock, on: dt.date, data: dict[str, Any]) -> dict[str, Any]:
        outcome, t = outcome_for(str(data.get("outcome", "")), on.year)
        if outcome == OVERDUE_CORRECTION.get(t.id) and t.id == "2021" and prior.status != clk.Status.waiting_correction:
            raise XxgkError("sequence", "没有待补正的告知，不能按逾期不补正处理",
                            "no correction is outstanding: cannot close for a missed correction")
        if outcome == OVERDUE_FEE.get(t.id) and t.id == "2021":
            if prior.status != clk.Status.waiting_fee or prior.payment_due is None or on <= prior.payment_due:
                raise XxgkError("sequence", "只有缴费期限届满仍未缴费的，才能按逾期未缴费处理",
                                "only a fee left unpaid after its payment period lapses the request")
        from xxgk.office.vocab import outcomes

        return dict(data, outcome=outcome, outcome_label=outcomes(t)[outcome], template=t.id)

    def _fee_data(self, s: Session, r: Request, on: dt.date, data: dict[str, Any]) -> dict[str, Any]:
        from xxgk.office import fees

        if on < FEES_IN_FORCE:
            raise XxgkError("no-fee", f"《政府信息公开信息处理费管理办法》自{FEES_IN_FORCE}起施行，{on} 不能收费",
                            f"the fee rules (国办函〔2020〕109号) apply from {FEES_IN_FORCE}; no fee on {on}")
        method = str(data.get("method", ""))
        if method == "per_request":
            # the ordinal of this request among the applicant's requests received in the same month
            month_start = r.received_on.replace(day=1)
            same = s.scalars(select(Request).join(Applicant).where(
                Request.agency_id == r.agency_id, Applicant.name == r.applicant.name,
                Applicant.id_number.is_not_distinct_from(r.applicant.id_number),
                Request.received_on >= month_start, Request.received_on <= r.received_on))
            ordinal = sorted((x.received_on, x.id) for x in same).index((r.received_on, r.id)) + 1
            q = fees.quote(method=method, ordinal=ordinal)
        else:
            q = fees.quote(method=method, pages=data.get("pages"))
        if q.amount == 0:
            raise XxgkError("no-fee", "按收费标准本件不收费，无需发出收费通知",
                            "no fee is due under the schedule: no fee notice to send")
        r.fee_method, r.fee_amount = q.method, q.amount
        return dict(data, amount=q.amount, basis=q.basis, notice=q.explain())

    def _request(self, s: Session, agency_id: int, tracking_no: str) -> Request:
        tracking_no = lim.text(tracking_no, "申请编号", "tracking number", limit=None, required=True)  # type: ignore[assignment]
        r = s.scalar(select(Request).where(Request.agency_id == agency_id, Request.tracking_no == tracking_no))
        if r is None:
            raise XxgkError("unknown-request", f"没有编号为 {tracking_no} 的申请", f"no request {tracking_no}")
        return r

    def get(self, agency: str, tracking_no: str) -> RequestView:
        with self.session() as s:
            return _view(self._request(s, self._agency(s, agency).id, tracking_no))

    def clock(self, agency: str, tracking_no: str) -> clk.Clock:
        """The request's clock, replayed from its events, with its explanation."""
        with self.session() as s:
            a = self._agency(s, agency)
            r = self._request(s, a.id, tracking_no)
            return clk.replay(_events(s, r), self._calendar(s, a.id), self.rules)

    def events(self, agency: str, tracking_no: str) -> list[RequestEvent]:
        with self.session() as s:
            a = self._agency(s, agency)
            return _events_rows(s, self._request(s, a.id, tracking_no))

    def audit(self, agency: str, tracking_no: str | None = None) -> list[AuditEntry]:
        with self.session() as s:
            a = self._agency(s, agency)
            # the agency's own entries and the database-wide ones (settings, the national calendar)
            q = select(AuditEntry).where((AuditEntry.agency_id == a.id) | AuditEntry.agency_id.is_(None))
            if tracking_no:
                r = self._request(s, a.id, tracking_no)
                q = q.where(AuditEntry.entity == "request", AuditEntry.entity_id == r.id)
            return list(s.scalars(q.order_by(AuditEntry.id)))

    def requests(self, agency: str, *, year: int | None = None, status: str | None = None) -> list[RequestView]:
        with self.session() as s:
            a = self._agency(s, agency)
            q = select(Request).where(Request.agency_id == a.id)
            if year:
                q = q.where(Request.year == year)
            if status:
                q = q.where(Request.status == status)
            return [_view(r) for r in s.scalars(q.order_by(Request.received_on, Request.id))]

    def due_soon(self, agency: str, today: dt.date, within: int = 5) -> list[RequestView]:
        """Open requests due within ``within`` working days of ``today`` (overdue ones included)."""
        with self.session() as s:
            a = self._agency(s, agency)
            limit = self._calendar(s, a.id).add(today, within).due
            q = select(Request).where(Request.agency_id == a.id, Request.closed_on.is_(None),
                                      Request.due_on.is_not(None), Request.due_on <= limit)
            return [_view(r) for r in s.scalars(q.order_by(Request.due_on))]

    def overdue(self, agency: str, today: dt.date) -> list[RequestView]:
        with self.session() as s:
            a = self._agency(s, agency)
            q = select(Request).where(Request.agency_id == a.id, Request.closed_on.is_(None),
                                      Request.due_on < today)
            return [_view(r) for r in s.scalars(q.order_by(Request.due_on))]

    def waiting(self, agency: str) -> list[RequestView]:
        """Requests waiting on the applicant (a correction or a payment)."""
        with self.session() as s:
            a = self._agency(s, agency)
            q = select(Request).where(Request.agency_id == a.id, Request.status.in_(
                [clk.Status.waiting_correction.value, clk.Status.waiting_fee.value]))
            return [_view(r) for r in s.scalars(q.order_by(Request.received_on))]

    def lapsed(self, agency: str, today: dt.date) -> list[tuple[RequestView, str]]:
        """Requests waiting on the applicant whose deadline (payment, correction) has passed, with the
        outcome they may now be closed with (2021: 三（六）1 or 2)."""
        out = []
        with self.session() as s:
            a = self._agency(s, agency)
            cal = self._calendar(s, a.id)
            q = select(Request).where(Request.agency_id == a.id, Request.status.in_(
                [clk.Status.waiting_correction.value, clk.Status.waiting_fee.value]))
            for r in s.scalars(q.order_by(Request.received_on)):
                why = clk.replay(_events(s, r), cal, self.rules).lapsed(today)
                if why:
                    out.append((_view(r), why if today.year >= 2021 else "other"))
        return out

    def documents(self, agency: str) -> list[Document]:
        with self.session() as s:
            a = self._agency(s, agency)
            return list(s.scalars(select(Document).where(Document.agency_id == a.id)
                                  .order_by(Document.kind, Document.issued_on)))

    def appeals(self, agency: str) -> list[Appeal]:
        with self.session() as s:
            a = self._agency(s, agency)
            return list(s.scalars(select(Appeal).where(Appeal.agency_id == a.id).order_by(Appeal.filed_on)))

    # ------------------------------------------------------------ registers

    def add_document(self, agency: str, kind: str, title: str, number: str, issued_on: dt.date,
                     repealed_on: dt.date | None = None, *, today: dt.date | None = None) -> Document:
        today = today or dt.date.today()
        kind = resolve(kind, DOCUMENT_KINDS, "文件类型", "document kind")
        cols = Document.__table__.c
        title = lim.text(title, "标题", "title", limit=lim.column_length(cols.title), required=True)  # type: ignore[assignment]
        number = lim.text(number, "文号", "document number", limit=lim.column_length(cols.number), required=True)  # type: ignore[assignment]
        lim.date(issued_on, "制发日期", "issued on", today=today, earliest=lim.EARLIEST_DOCUMENT)
        if repealed_on is not None:
            lim.date(repealed_on, "废止日期", "repealed on", today=today, earliest=lim.EARLIEST_DOCUMENT)
        if repealed_on and repealed_on < issued_on:
            raise XxgkError("bad-date", f"废止日期 {repealed_on} 早于制发日期 {issued_on}",
                            f"repealed on {repealed_on}, before it was issued ({issued_on})")
        with self.writing() as s:
            a = self._agency(s, agency)
            self._lock(s, a.id)
            if s.scalar(select(Document.id).where(Document.agency_id == a.id, Document.kind == kind,
                                                  Document.number == number)):
                raise XxgkError("duplicate-document", f"文号已登记：{number}", f"already registered: {number}")
            d = Document(agency_id=a.id, kind=kind, title=title, number=number, issued_on=issued_on,
                         repealed_on=repealed_on)
            s.add(d)
            s.flush()
            self._audit(s, a.id, "document", d.id, "create", None, snapshot(d))
            return d

    def repeal_document(self, agency: str, kind: str, number: str, repealed_on: dt.date, *,
                        today: dt.date | None = None) -> Document:
        lim.date(repealed_on, "废止日期", "repealed on", today=today or dt.date.today(),
                 earliest=lim.EARLIEST_DOCUMENT)
        kind = resolve(kind, DOCUMENT_KINDS, "文件类型", "document kind")
        number = lim.text(number, "文号", "document number", limit=None, required=True)  # type: ignore[assignment]
        with self.writing() as s:
            a = self._agency(s, agency)
            self._lock(s, a.id)
            d = s.scalar(select(Document).where(Document.agency_id == a.id, Document.kind == kind,
                                                Document.number == number))
            if d is None:
                raise XxgkError("unknown-document", f"没有文号为 {number} 的文件", f"no document {number}")
            if repealed_on < d.issued_on:
                raise XxgkError("bad-date", f"废止日期 {repealed_on} 早于制发日期 {d.issued_on}",
                                f"repealed on {repealed_on}, before it was issued ({d.issued_on})")
            before = snapshot(d)
            d.repealed_on = repealed_on
            self._audit(s, a.id, "document", d.id, "repeal", before, snapshot(d))
            return d

    def add_actions(self, agency: str, kind: str, rows: list[tuple[str, dt.date, Decimal | None]], *,
                    today: dt.date | None = None) -> tuple[int, int]:
        """Add entries of an administrative ledger (licensing/penalty/coercion decisions, fee income).

        Re-importing a ledger that has grown is safe: entries already imported with the same date and
        amount are skipped; one imported with a different date or amount is an error (nothing written).
        Every entry added is listed in the audit entry (so ``verify`` can tell one changed by hand).
        Returns (added, skipped)."""
        kind = resolve(kind, ACTION_KINDS, "台账类型", "ledger kind")
        rows = [action_row(r, today or dt.date.today()) for r in rows]
        with self.writing() as s:
            a = self._agency(s, agency)
            self._lock(s, a.id)
            refs = [ref for ref, _, _ in rows]
            if len(set(refs)) != len(refs):
                dup = next(x for x in refs if refs.count(x) > 1)
                raise XxgkError("duplicate-ref", f"台账编号重复：{dup}", f"duplicate ledger number: {dup}")
            known = {x.ref: (x.on, x.amount) for x in s.scalars(
                select(Action).where(Action.agency_id == a.id, Action.kind == kind))}
            new = []
            for ref, on, amount in rows:
                if ref not in known:
                    new.append((ref, on, amount))
                    continue
                was_on, was_amount = known[ref]
                if was_on != on or (was_amount is None) != (amount is None) or (
                        amount is not None and Decimal(was_amount) != Decimal(amount)):
                    raise XxgkError("duplicate-ref", f"台账编号 {ref} 已导入，但日期或金额不同（原为 {was_on} {was_amount or ''}）",
                                    f"ledger number {ref} was imported with another date or amount ({was_on})")
            s.add_all(Action(agency_id=a.id, kind=kind, ref=ref, on=on, amount=amount) for ref, on, amount in new)
            self._audit(s, a.id, "action", 0, f"import-{kind}", None,
                        {"kind": kind, "added": len(new), "skipped": len(rows) - len(new),
                         "rows": [[ref, on.isoformat(), None if x is None else str(x)] for ref, on, x in new]})
            return len(new), len(rows) - len(new)

    def add_appeal(self, agency: str, kind: str, filed_on: dt.date, *, tracking_no: str | None = None,
                   ref: str | None = None, today: dt.date | None = None) -> Appeal:
        kind = resolve(kind, appeal_kinds(), "复议诉讼类型", "appeal kind")
        lim.date(filed_on, "复议/诉讼日期", "appeal date", today=today or dt.date.today())
        ref = lim.text(ref, "案号", "case number", limit=lim.column_length(Appeal.__table__.c.ref))
        with self.writing() as s:
            a = self._agency(s, agency)
            self._lock(s, a.id)
            rid = None
            if tracking_no:
                r = self._request(s, a.id, tracking_no)
                if filed_on < r.received_on:
                    raise XxgkError("bad-date", f"复议/诉讼日期 {filed_on} 早于申请收到日期 {r.received_on}",
                                    f"appeal filed {filed_on}, before the request was received ({r.received_on})")
                rid = r.id
            ap = Appeal(agency_id=a.id, request_id=rid, kind=kind, filed_on=filed_on, ref=ref)
            s.add(ap)
            s.flush()
            self._audit(s, a.id, "appeal", ap.id, "create", None, snapshot(ap))
            return ap

    def conclude_appeal(self, agency: str, appeal_id: int, outcome: str, on: dt.date, *,
                        today: dt.date | None = None) -> Appeal:
        outcome = resolve(outcome, appeal_outcomes(), "复议诉讼结果", "appeal outcome")
        lim.count(appeal_id, "复议诉讼编号", "appeal id")
        lim.date(on, "审结日期", "concluded on", today=today or dt.date.today())
        with self.writing() as s:
            a = self._agency(s, agency)
            self._lock(s, a.id)
            ap = s.get(Appeal, appeal_id)
            if ap is None or ap.agency_id != a.id:
                raise XxgkError("unknown-appeal", f"没有编号为 {appeal_id} 的复议诉讼", f"no appeal {appeal_id}")
            if ap.outcome is not None:
                raise XxgkError("sequence", "该复议诉讼已审结", "this appeal is already concluded")
            if on < ap.filed_on:
                raise XxgkError("bad-date", f"审结日期 {on} 早于提起日期 {ap.filed_on}",
                                f"concluded {on}, before it was filed ({ap.filed_on})")
            before = snapshot(ap)
            ap.outcome, ap.concluded_on = outcome, on
            self._audit(s, a.id, "appeal", ap.id, "conclude", before, snapshot(ap))
            return ap

    def set_text(self, agency: str, year: int, part: str, text: str) -> None:
        """The officer's narrative for one part (一 … 六) of the year's report."""
        from xxgk.template import template_for_year

        report_year(year)
        t = template_for_year(year)
        part = resolve(part, {p.key: p.title for p in t.parts}, "报告部分", "report part")
        text = lim.text(text, "报告正文", "report text", line=False) or ""
        with self.writing() as s:
            a = self._agency(s, agency)
            self._lock(s, a.id)
            row = s.scalar(select(ReportText).where(ReportText.agency_id == a.id, ReportText.year == year,
                                                    ReportText.part == part))
            before = snapshot(row) if row else None
            if row is None:
                row = ReportText(agency_id=a.id, year=year, part=part, text=text)
                s.add(row)
            row.text = text
            s.flush()
            self._audit(s, a.id, "report_text", row.id, "update", before, snapshot(row))

    def set_figure(self, agency: str, year: int, cell: str, value: Decimal | int | float) -> None:
        """A cell of part 二 the registers do not determine (e.g. 2019 item counts, procurement)."""
        from xxgk.office.tally import computed_cells
        from xxgk.template import template_for_year

        report_year(year)
        t = template_for_year(year)
        if cell not in t.cell_ids:
            raise XxgkError("unknown-cell", f"{t.id}年版报告没有单元格 {cell}", f"no cell {cell} in template {t.id}")
        if cell in computed_cells(t):
            raise XxgkError("computed-cell", f"{cell} 由台账记录计算得出，不能手工填写",
                            f"{cell} is computed from the records and cannot be entered by hand")
        value = lim.amount(value, f"{cell} 的数值", f"the value of {cell}", scale=4)
        with self.writing() as s:
            a = self._agency(s, agency)
            self._lock(s, a.id)
            row = s.scalar(select(ReportFigure).where(ReportFigure.agency_id == a.id, ReportFigure.year == year,
                                                      ReportFigure.cell == cell))
            before = snapshot(row) if row else None
            if row is None:
                row = ReportFigure(agency_id=a.id, year=year, cell=cell, value=Decimal(str(value)))
                s.add(row)
            row.value = Decimal(str(value))
            s.flush()
            self._audit(s, a.id, "report_figure", row.id, "update", before, snapshot(row))

    # ------------------------------------------------------------ the annual report

    def tally(self, agency: str, year: int):  # type: ignore[no-untyped-def]
        """The year's report from the records (tables 二, 三, 四 and the officer's text)."""
        from xxgk.office.tally import tally

        report_year(year)
        with self.session() as s:
            return tally(s, self._agency(s, agency), year)

    def county(self, year: int) -> dict[str, dict[str, int]]:
        """Table 三 of every agency in the database, in one pass (the supervisor's view)."""
        from xxgk.office.tally import county_tally

        with self.session() as s:
            return county_tally(s, year)

    # ------------------------------------------------------------ audit

    def _audit(self, s: Session, agency_id: int | None, entity: str, entity_id: int, action: str,
               before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        """An audit entry, sealed into the agency's hash chain."""
        entry = AuditEntry(agency_id=agency_id, entity=entity, entity_id=entity_id, action=action,
                           actor=self.actor, at=utcnow(), before=before, after=after)
        chain.seal(s, entry)
        s.add(entry)

    def _event(self, s: Session, r: Request, seq: int, ev: clk.Event) -> None:
        """A request event, sealed into the agency's hash chain."""
        row = RequestEvent(agency_id=r.agency_id, request_id=r.id, seq=seq, kind=ev.kind.value, on=ev.on,
                           data=ev.data, actor=self.actor, recorded_at=utcnow())
        chain.seal(s, row)
        s.add(row)

    # ------------------------------------------------------------ integrity

    def verify(self, anchors: dict[str, tuple[int, str]] | None = None):  # type: ignore[no-untyped-def]
        """Check the whole history: the hash chains, the request rows against their events, every
        audited row against its last audit entry (see :mod:`xxgk.office.verify`). ``anchors``: a
        chain head noted earlier (agency code, or ``database``, to its place and hash)."""
        from xxgk.office.verify import verify

        with self.session() as s:
            return verify(s, anchors or {})


def _template_id(year: int) -> str:
    from xxgk.template import template_for_year

    return template_for_year(year).id


def _events_rows(s: Session, r: Request) -> list[RequestEvent]:
    return list(s.scalars(select(RequestEvent).where(RequestEvent.request_id == r.id).order_by(RequestEvent.seq)))


def _events(s: Session, r: Request) -> list[clk.Event]:
    return [clk.Event(clk.EventKind(e.kind), e.on, dict(e.data or {})) for e in _events_rows(s, r)]


def _project(r: Request, state: clk.Clock) -> None:
    r.status = state.status.value
    r.due_on = state.due
    r.correction_due_on = state.correction_due
    r.payment_due_on = state.payment_due
    r.closed_on = state.closed_on
    r.outcome = state.outcome
    r.outcome_template = _template_id(state.closed_on.year) if state.closed_on else None
    r.on_time = state.on_time
