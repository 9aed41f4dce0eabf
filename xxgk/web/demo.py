"""The first start: a small demo country in the corpus (``xxgk corpus make-demo``, read and stored
in this process — no cluster for a few hundred reports), the office's demo agencies with a year of
requests, and one account per role, each with a new random password printed once and written to a
file only its owner may read."""

from __future__ import annotations

import multiprocessing
import os
import secrets
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from xxgk.corpus.store import CorpusStore
from xxgk.office.service import Office
from xxgk.web.accounts import Accounts

DEMO_REPORTS = 240
DEMO_YEARS = (2022, 2023, 2024)
BATCH = 50


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    scope: str


def load_demo_corpus(store: CorpusStore, *, reports: int = DEMO_REPORTS, seed: int = 0) -> tuple[int, str]:
    """Write a demo country to a temporary folder, store its registry and read its reports into the
    corpus; returns (reports stored, the code of the demo's first province)."""
    from xxgk.corpus.country import make_country
    from xxgk.corpus.ingest import NameMatcher
    from xxgk.corpus.registry import Registry
    with tempfile.TemporaryDirectory(prefix="xxgk-demo-") as tmp:
        out = Path(tmp) / "country"
        make_country(out, reports=reports, years=DEMO_YEARS, seed=seed, workers=1)
        reg, errors = Registry.load(out / "registry" / "地区.csv", out / "registry" / "机关.csv")
        assert not errors, errors
        store.save_registry(list(reg.regions.values()), list(reg.agencies.values()))
        matcher = NameMatcher(list(reg.agencies.values()))
        files = sorted(p for p in (out / "reports").rglob("*") if p.is_file())
        docs = [(str(p.relative_to(out)), p.read_bytes()) for p in files]
        stored = 0
        with _pool() as pool:
            results = pool.map(_read, [(source, data, matcher) for source, data in docs], chunksize=8)
            batch: list[tuple[object, bytes, str]] = []
            for (source, data), result in zip(docs, results, strict=True):
                if result[0] == "ok":
                    batch.append((result[1], data, source))
                if len(batch) >= BATCH:
                    stored += len(store.store_many(batch))  # type: ignore[arg-type]
                    batch = []
            if batch:
                stored += len(store.store_many(batch))  # type: ignore[arg-type]
        store.analyze()
        provinces = sorted(r.code for r in reg.regions.values() if r.level == "province")
    return stored, provinces[0]


def _read(job: tuple[str, bytes, object]) -> tuple[object, ...]:
    from xxgk.corpus.worker import read_one

    return read_one(*job)  # type: ignore[arg-type]


def _pool() -> ProcessPoolExecutor:
    """One process per core (fork: the demo starts before any server thread)."""
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    return ProcessPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), mp_context=ctx)


def _agency_with_errors(office: Office, regions: set[str]) -> str | None:
    """An agency of the region whose current report has errors: the demo's agency account then has
    something for the supervisor to send it (整改)."""
    from sqlalchemy import select

    from xxgk.corpus.schema import CorpusReport
    from xxgk.office.db import Agency

    with office.session() as s:
        rows = s.execute(select(Agency.code, Agency.region_code).join(CorpusReport, CorpusReport.agency_id == Agency.id)
                         .where(CorpusReport.current.is_(True), CorpusReport.errors > 0)
                         .order_by(CorpusReport.year.desc(), CorpusReport.errors.desc(), Agency.code)).all()
    return next((code for code, region in rows if region in regions), None)


def first_start(office: Office, store: CorpusStore, accounts: Accounts, *, demo: bool,
                credentials: Path | None) -> list[DemoAccount]:
    """Create the first administrator (and, with ``demo``, the demo data and one account per role)."""
    made: list[DemoAccount] = []

    def add(username: str, role: str, scope: str, **kw: str) -> None:
        password = secrets.token_urlsafe(12)
        accounts.add_user(username, password, role, actor="init", **kw)
        made.append(DemoAccount(username, password, role, scope))

    if not demo:
        add("admin", "admin", "全国", display_name="系统管理员")
    else:
        _, province = load_demo_corpus(store)
        from xxgk.office.demo import populate

        populate(office)
        regions, agencies = store.registry()
        region = next(r for r in regions if r.code == province)
        inside = store.subtree(province)
        agency = _agency_with_errors(office, inside) or next(a.code for a in agencies if a.region in inside)
        add("admin", "admin", "全国", display_name="系统管理员")
        add("supervisor", "supervisor", region.name, display_name="督查员（演示）", region=province)
        name = next(a.name for a in agencies if a.code == agency)
        add("agency", "agency_admin", name, display_name="机关管理员（演示）", agency=agency)
        add("researcher", "researcher", "全国（已发布数据）", display_name="研究人员（演示）")
    if credentials is not None:
        text = "".join(f"{a.username}\t{a.password}\t{a.role}\t{a.scope}\n" for a in made)
        fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("# 用户名\t密码\t角色\t范围 — 首次启动时生成，请登录后修改或删除本文件\n" + text)
    return made
