"""The corpus store on SQLite and PostgreSQL: reports stored whole and once, versions, the
registry, rollups kept equal to the sums of the current reports, and the office's database upgraded."""

from __future__ import annotations

import dataclasses
import datetime as dt
from importlib import resources

import pytest
from corpus_helpers import agency_code, registry
from sqlalchemy import create_engine, func, select, text

from xxgk.api import check, parse_bytes
from xxgk.corpus.digest import digest
from xxgk.corpus.schema import ALL, CorpusCell, CorpusReport
from xxgk.corpus.store import CorpusStore, FailureRecord
from xxgk.corpus.types import AgencyRecord, Match
from xxgk.errors import XxgkError
from xxgk.gen import make

CELL = "requests.new.total"


@pytest.fixture
def store(office_url: str):  # type: ignore[no-untyped-def]
    s = CorpusStore.open(office_url)
    yield s
    s.close()


@pytest.fixture(scope="module")
def samples():  # type: ignore[no-untyped-def]
    return make("viewer-text", 24, seed=7)


def read(data: bytes, name: str, published: dt.date | None = None):  # type: ignore[no-untyped-def]
    r = parse_bytes(data, name, source_path=name)
    if published is not None:
        r = r.model_copy(update={"published_date": published})
    return r, check(r)


def accepted(name: str) -> Match:
    return Match(agency_code(name), 1.0, "title", True, reasons=("标题中的机关名称与名录一致",))


def direct_sums(store: CorpusStore, region_codes: set[str] | None) -> dict[tuple[str, int], float]:
    """Σ value of CELL over current reports, by (kind, year), straight from the cells (no rollups)."""
    out: dict[tuple[str, int], float] = {}
    for e in store.entries(cells=True, parts=False):
        if region_codes is not None and e.region not in region_codes:
            continue
        key = (e.kind or "", e.year or 0)
        out[key] = out.get(key, 0.0) + (e.cells.get(CELL) or 0)
    return out


def rollup_sums(store: CorpusStore, region: str) -> dict[tuple[str, int], float]:
    return {(r.kind, r.year): r.total for r in store.rollup(CELL, region=region)}


def test_a_report_is_stored_whole_and_once(store: CorpusStore, samples):  # type: ignore[no-untyped-def]
    s = samples[0]
    report, findings = read(s.data, s.name)
    first = store.store_report(report, findings, s.data, s.name)
    again = store.store_report(report, findings, s.data, "another/path.txt")
    assert first.created and not again.created and again.id == first.id
    got = store.report(first.id)
    assert got is not None
    assert got.cells == {k: v for k, v in report.cells.items()}
    assert got.statuses == {k: i.status for k, i in report.provenance.items()}
    assert got.parts == {k: p.text for k, p in report.parts.items()}
    assert [(f.rule, f.severity) for f in got.findings] == [(f.rule, f.severity) for f in findings]
    assert got.source == s.name and got.year == report.report_year and got.match_status == "unmatched"
    assert store.data(report.content_hash) == s.data
    c = store.counts()
    assert (c.reports, c.blobs, c.cells) == (1, 1, len(report.cells))
    # a batch with one bad item writes nothing of the others
    other, of = read(samples[1].data, samples[1].name)
    with pytest.raises(XxgkError) as e:
        store.store_many([(digest(other, of), samples[1].data, "a"), (digest(other, of), b"not these bytes", "b")])
    assert e.value.code == "hash-mismatch"
    assert store.counts().reports == 1 and store.stored([other.content_hash]) == set()


def test_registry_round_trip_and_refusals(store: CorpusStore):
    regions, agencies = registry()
    assert store.save_registry(regions, agencies) == (len(regions), len(agencies))
    got_regions, got_agencies = store.registry()
    assert set(got_regions) == set(regions)
    assert set(got_agencies) == set(agencies)
    a = agencies[5]
    renamed = dataclasses.replace(a, name=a.name + "（新）", aliases=("别名甲", "别名乙"))
    store.save_registry([], [renamed])
    assert {x.code: x for x in store.registry()[1]}[a.code] == renamed
    with pytest.raises(XxgkError, match="不在名录中"):
        store.save_registry([], [AgencyRecord("X1", "某局", "department", regions[0].code, parent="NOPE")])
    with pytest.raises(XxgkError, match="不在名录中"):
        store.save_registry([], [AgencyRecord("X2", "某局", "department", "999999")])
    assert "X1" not in {x.code for x in store.registry()[1]}  # a refused save writes nothing


def test_versions_current_and_rollups_follow(store: CorpusStore, samples):  # type: ignore[no-untyped-def]
    regions, agencies = registry()
    store.save_registry(regions, agencies)
    stored = []
    for s in samples[:12]:
        report, findings = read(s.data, s.name)
        stored.append(store.store_report(report, findings, s.data, s.name, accepted(report.agency)))
    base = samples[0]
    d0 = read(base.data, base.name)[0].published_date or dt.date(2021, 1, 1)
    # a corrected re-publication (other bytes, later date): version 2, current; the first is superseded
    fixed = base.data + "\n（更正）".encode()
    r2, f2 = read(fixed, "fixed.txt", d0 + dt.timedelta(days=30))
    v2 = store.store_report(r2, f2, fixed, "fixed.txt", accepted(r2.agency))
    assert v2.created and v2.version == 2 and v2.current
    assert store.report(stored[0].id).current is False  # type: ignore[union-attr]
    # an older copy found later: version 3, not current
    old = base.data + "\n（旧稿）".encode()
    r3, f3 = read(old, "old.txt", d0 - dt.timedelta(days=30))
    v3 = store.store_report(r3, f3, old, "old.txt", accepted(r3.agency))
    assert v3.created and v3.version == 3 and not v3.current
    # an unmatched report, attached later by a person
    s = samples[12]
    r4, f4 = read(s.data, s.name)
    v4 = store.store_report(r4, f4, s.data, s.name, Match(None, 0.0, "none", False))
    assert store.report(v4.id).match_status == "unmatched"  # type: ignore[union-attr]
    c = store.counts()
    assert (c.reports, c.current, c.superseded, c.unmatched) == (15, 13, 2, 1)

    def check_rollups() -> None:
        by_region = {r.code: r for r in regions}
        province = {a.code: a.region for a in agencies}
        while any(by_region[v].parent for v in province.values()):
            province = {k: by_region[v].parent or v for k, v in province.items()}
        assert rollup_sums(store, ALL) == pytest.approx(direct_sums(store, None))
        for p in {r.code for r in regions if r.level == "province"}:
            assert rollup_sums(store, p) == pytest.approx(direct_sums(store, store.subtree(p)))
        tally = {(t.kind, t.year): t.reports for t in store.tally()}
        assert sum(tally.values()) == store.counts().current

    check_rollups()
    got = store.attach(v4.id, accepted(r4.agency))
    assert got.match_status == "accepted" and got.agency == agency_code(r4.agency or "")
    check_rollups()
    assert store.report(v4.id).region is not None  # type: ignore[union-attr]
    # the incremental rollups are exactly what a rebuild from the cells gives
    before = {(r.region, r.kind, r.year, r.cell): (r.total, r.reports, r.valued) for p in [ALL]
              for r in store.rollup(region=p)}
    store.rebuild_rollups()
    after = {(r.region, r.kind, r.year, r.cell): (r.total, r.reports, r.valued) for r in store.rollup(region=ALL)}
    assert after == pytest.approx(before)


def test_entries_for_the_checks(store: CorpusStore, samples):  # type: ignore[no-untyped-def]
    regions, agencies = registry()
    store.save_registry(regions, agencies)
    for s in samples[:10]:
        report, findings = read(s.data, s.name)
        store.store_report(report, findings, s.data, s.name, accepted(report.agency))
    entries = store.entries()
    assert len(entries) == 10
    e = entries[0]
    assert e.agency and e.region and e.level in ("city", "county") and e.kind
    assert e.cells and e.statuses.keys() == e.cells.keys() and e.parts
    year = e.year
    assert {x.id for x in store.entries(year=year)} == {x.id for x in entries if x.year == year}
    province = store.region_path(e.region)[0]  # type: ignore[arg-type]
    assert province.level == "province"
    inside = store.entries(region=province.code, parts=False)
    assert e.id in {x.id for x in inside} and all(x.region in store.subtree(province.code) for x in inside)
    # a township-level region (none here) or a county: sums computed from the cells
    county = e.region
    assert store.total(CELL, region=county) == pytest.approx(  # type: ignore[arg-type]
        sum((x.cells.get(CELL) or 0) for x in entries if x.region == county))


def test_failures_are_counted_and_cleared_when_stored(store: CorpusStore, samples):  # type: ignore[no-untyped-def]
    s = samples[0]
    report, findings = read(s.data, s.name)
    f = FailureRecord(s.name, "timeout", "超时", "timed out", content_hash=report.content_hash)
    store.record_failure(f)
    store.record_failure(f)
    store.record_failure(FailureRecord("missing.txt", "not-found", "文件不存在", "no such file"))
    got = {x.source: x for x in store.failures()}
    assert got[s.name].attempts == 2 and got["missing.txt"].attempts == 1
    assert store.failed_hashes([report.content_hash, "0" * 64]) == {report.content_hash}
    store.store_report(report, findings, s.data, s.name)
    assert [x.source for x in store.failures()] == ["missing.txt"]


def test_the_office_database_is_upgraded_in_place(tmp_path):  # type: ignore[no-untyped-def]
    """An office database at revision 0002, with its agencies and requests, gains the corpus."""
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'office.db'}"
    engine = create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("xxgk.office") / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    with engine.begin() as conn:
        conn.execute(text("PRAGMA foreign_keys=ON"))
        conn.execute(text("INSERT INTO agency (id, code, name, kind, created_at) "
                          "VALUES (1, 'fgw', '某市发展和改革委员会', 'department', '2025-01-01')"))
        conn.execute(text("INSERT INTO applicant (id, agency_id, kind, name) VALUES (1, 1, 'natural', '张三')"))
    engine.dispose()
    store = CorpusStore.open(url)
    try:
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT code, region_code, parent_id FROM agency")).all() == [("fgw", None, None)]
            assert conn.execute(text("SELECT count(*) FROM applicant")).scalar() == 1
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        regions, agencies = registry()
        store.save_registry(regions[:3], [AgencyRecord("fgw", "某市发展和改革委员会", "department", regions[0].code)])
        assert store.registry()[1][0].region == regions[0].code
        with store.engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(CorpusReport)) == 0
            assert conn.scalar(select(func.count()).select_from(CorpusCell)) == 0
    finally:
        store.close()
