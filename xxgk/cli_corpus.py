"""``xxgk corpus …``: every report of a region, stored with its agency and checked against the others.

A thin shell over :mod:`xxgk.corpus` (registry, match, store, ingest, checks, answers, lake,
country): each command parses its options, calls one Python function and prints its result.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from xxgk.errors import XxgkError

corpus_app = typer.Typer(
    name="corpus",
    help="报告库：一个地区的全部年度报告——名录、批量入库（本机或 Dask 集群）、跨报告核查、督查汇总、"
    "导出与查询 / the corpus: every report of a region, ingested, stored, checked across agencies and years.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
agencies_app = typer.Typer(name="agencies", help="地区与机关名录 / the region tree and its agencies",
                           no_args_is_help=True, pretty_exceptions_enable=False)
corpus_app.add_typer(agencies_app, name="agencies")

out = Console(highlight=False, soft_wrap=True, markup=False)  # user text may hold [brackets]
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

Db = Annotated[str | None, typer.Option("--db", envvar="XXGK_DATABASE_URL",
                                        help="报告库数据库 URL（默认 sqlite:///xxgk-corpus.db）/ corpus database URL")]
Year = Annotated[int, typer.Option("--year", help="报告年度 / report year", show_default=False)]
AsOf = Annotated[str | None, typer.Option("--as-of", help="以该日为核查日（默认今天）/ the date to judge "
                                          "deadlines on (default today)")]


def _date(value: str | None) -> dt.date:
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise XxgkError("bad-date", f"日期“{value}”无效（应为 YYYY-MM-DD）",
                        f"{value!r} is not a valid date (YYYY-MM-DD)") from None


def _store(db: str | None, create: bool = True) -> Any:
    from xxgk.corpus.store import CorpusStore

    return CorpusStore.open(db, create=create)


def _registry(store: Any) -> Any:
    from xxgk.corpus.registry import Registry

    regions, agencies = store.registry()
    return Registry(regions, agencies)


def _stored_registry(db: str | None) -> Any:
    """The registry of an existing corpus database."""
    store = _store(db, create=False)
    try:
        return _registry(store)
    finally:
        store.close()


def _region_code(registry: Any, name: str) -> str:
    """A region given by code or name; a name shared by several regions is refused with them listed."""
    found = registry.find_region(name)
    if not found:
        raise XxgkError("unknown-region", f"名录中没有地区“{name}”（先导入名录：xxgk corpus agencies import）",
                        f"no region {name!r} in the registry")
    if len(found) > 1:
        opts = "、".join(f"{r.code} {'/'.join(x.name for x in registry.region_path(r.code))}" for r in found[:8])
        raise XxgkError("ambiguous-region", f"地区“{name}”不唯一，请用地区代码：{opts}",
                        f"region {name!r} is ambiguous; give its code: {opts}")
    return found[0].code


def _agency_code(registry: Any, name: str) -> str:
    if name in registry.agencies:
        return name
    from xxgk.corpus.match import Matcher

    cands = Matcher(registry).find(name)
    if len(cands) == 1 or (len(cands) > 1 and cands[0][1] > cands[1][1] + 0.15):
        return cands[0][0].code
    if not cands:
        raise XxgkError("unknown-agency", f"名录中没有机关“{name}”", f"no agency {name!r} in the registry")
    opts = "、".join(f"{a.code} {a.name}" for a, _ in cands[:8])
    raise XxgkError("ambiguous-agency", f"机关“{name}”不唯一，请用机关代码：{opts}",
                    f"agency {name!r} is ambiguous; give its code: {opts}")


def _write(path: Path, data: bytes) -> None:
    from xxgk.export import write_atomic

    write_atomic(path, data)
    out.print(f"已写出 / written: {path}")


# ---------------------------------------------------------------- the registry


@agencies_app.command("import")
def agencies_import(
    files: Annotated[list[Path], typer.Argument(help="名录文件（CSV/XLSX，中文表头）/ registry files", show_default=False)],
    db: Db = None,
) -> None:
    """导入地区与机关名录（与库中已有名录合并；逐行列出错误）/ import regions and agencies."""
    from xxgk.corpus.registry import Registry

    for f in files:  # an unreadable file is refused before any database is created or touched
        if not f.is_file():
            raise XxgkError("registry-file", f"无法读取名录文件：{f}", f"cannot read the registry file: {f}")
    store = _store(db)
    try:
        base = _registry(store)
        reg, errors = Registry.load(*files, base=base)
        n_r, n_a = store.save_registry(list(reg.regions.values()), list(reg.agencies.values()))
        out.print(f"名录已保存 / saved：地区 {len(reg.regions)} 个，机关 {len(reg.agencies)} 个"
                  f"（本次写入 {n_r} + {n_a}）")
        if errors:
            table = Table(title=f"有误的行 {len(errors)} 处（未导入）/ rows not imported")
            for col in ("文件", "行", "列", "原因"):
                table.add_column(col, overflow="fold")
            for e in errors:
                table.add_row(str(e.file), str(e.row), e.column or "", e.reason_zh)
            out.print(table)
            raise typer.Exit(1)
    finally:
        store.close()


class RegFmt(StrEnum):
    xlsx = "xlsx"
    csv = "csv"


@agencies_app.command("export")
def agencies_export(
    output: Annotated[Path, typer.Option("-o", "--output", help="XLSX 文件，或 CSV 的目录 / XLSX file or CSV folder",
                                         show_default=False)],
    to: Annotated[RegFmt, typer.Option("--to", help="格式 / format")] = RegFmt.xlsx,
    db: Db = None,
) -> None:
    """导出名录（XLSX 两个工作表，或两个 CSV）/ export the registry."""
    reg = _stored_registry(db)
    if to is RegFmt.xlsx:
        reg.dump_xlsx(output)
        out.print(f"已写出 / written: {output}")
    else:
        output.mkdir(parents=True, exist_ok=True)
        reg.dump_csv(output / "地区.csv", output / "机关.csv")
        out.print(f"已写出 / written: {output / '地区.csv'}, {output / '机关.csv'}")


@agencies_app.command("list")
def agencies_list(
    region: Annotated[str | None, typer.Option("--region", help="地区名称或代码 / region")] = None,
    db: Db = None,
) -> None:
    """列出机关 / list agencies (of a region and below)."""
    from xxgk.agency import KIND_ZH

    reg = _stored_registry(db)
    ags = reg.agencies_in(_region_code(reg, region)) if region else list(reg.agencies.values())
    table = Table(title=f"机关 {len(ags)} 个")
    for col in ("代码", "名称", "类别", "地区", "监督机关"):
        table.add_column(col, overflow="fold")
    for a in ags:
        table.add_row(a.code, a.name, KIND_ZH.get(a.kind, a.kind),
                      "/".join(r.name for r in reg.region_path(a.region)), a.supervisor or "")
    out.print(table)


# ---------------------------------------------------------------- ingest and matching


@corpus_app.command()
def ingest(
    sources: Annotated[list[str], typer.Argument(help="文件、目录、ZIP 压缩包或网址清单（URL<TAB>已保存文件）/ "
                                                 "files, folders, ZIP archives, URL lists", show_default=False)],
    db: Db = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", envvar="DASK_SCHEDULER_ADDRESS",
                                                  help="Dask 调度器地址 tcp://…（默认本机全部核心）/ a Dask scheduler")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="本机工作进程数（默认每核一个）/ local "
                                                "worker processes")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="每个任务的报告数 / reports per task")] = 32,
    timeout: Annotated[float | None, typer.Option("--timeout", min=1, help="每份报告的时限（秒）/ seconds per "
                                                  "document")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出汇总 / print the summary as JSON")] = False,
) -> None:
    """批量读取、核查、匹配机关并入库；可中断，重跑即续 / read, check, match and store every report."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from xxgk.corpus.ingest import ingest as run_ingest
    from xxgk.corpus.match import ReportMatcher

    store = _store(db)
    try:
        regions, agencies = store.registry()
    finally:
        store.close()
    matcher = None
    if agencies:
        from xxgk.corpus.registry import Registry

        matcher = ReportMatcher(Registry(regions, agencies))
    else:
        err.print("提示：库中没有机关名录，报告将入库但不关联机关（xxgk corpus agencies import）/ "
                  "note: no registry; reports are stored unmatched")
    bar = Progress(TextColumn("入库 / ingest"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("失败 {task.fields[failures]}"), TimeRemainingColumn(), console=err,
                   disable=as_json or not err.is_terminal)
    with bar:
        task = bar.add_task("ingest", total=None, failures=0)

        def progress(done: int, total: int, failures: int, eta: float | None) -> None:
            bar.update(task, completed=done, total=total, failures=failures)

        summary = run_ingest(sources, db, scheduler=scheduler, workers=workers, batch_size=batch_size,
                             timeout_per_doc=timeout, matcher=matcher, progress=progress)
    if as_json:
        sys.stdout.write(json.dumps(summary.to_dict(), ensure_ascii=False, default=str) + "\n")
    else:
        out.print(f"共 {summary.seen} 份：新入库 {summary.stored}（其中新版本 {summary.new_versions}），"
                  f"已在库中 {summary.skipped + summary.duplicates}，失败 {summary.failed}；"
                  f"{summary.seconds:.1f} 秒，{summary.rate:.1f} 份/秒（{summary.workers} 个工作进程，"
                  f"{summary.scheduler}）")
        for f in summary.failures[:50]:
            out.print(f"  失败 / failed: {f.source}：{f.message}")
        if summary.failed > 50:
            out.print(f"  …… 另有 {summary.failed - 50} 份失败（xxgk corpus info --failures）")
    if summary.failed:
        raise typer.Exit(1)


@corpus_app.command()
def pending(db: Db = None) -> None:
    """列出待人工确认机关的报告 / reports waiting for a person to confirm their agency."""
    store = _store(db, create=False)
    try:
        rows = store.pending()
    finally:
        store.close()
    table = Table(title=f"待确认 {len(rows)} 份 / waiting")
    for col in ("编号", "年度", "印刷机关名", "候选（代码 分数）", "来源"):
        table.add_column(col, overflow="fold")
    for r in rows:
        cands = "、".join(f"{c} {s:.2f}" for c, s in r.match.candidates[:3])
        table.add_row(str(r.id), str(r.year or ""), r.printed_agency or "", cands or "无", r.source)
    out.print(table)


@corpus_app.command()
def attach(
    report_id: Annotated[int, typer.Argument(help="报告编号（见 pending）/ report id", show_default=False)],
    agency: Annotated[str, typer.Argument(help="机关代码或名称 / agency code or name", show_default=False)],
    db: Db = None,
) -> None:
    """人工确认报告所属机关 / attach a report to its agency by hand."""
    from xxgk.corpus.types import Match

    store = _store(db, create=False)
    try:
        code = _agency_code(_registry(store), agency)
        r = store.attach(report_id, Match(code, 1.0, "manual", True, ((code, 1.0),),
                                          (f"人工确认：{os.environ.get('USER', '')}".rstrip("："),)))
    finally:
        store.close()
    out.print(f"报告 {r.id} 已关联 / attached：{r.agency} {r.agency_name or ''}")


@corpus_app.command()
def info(
    db: Db = None,
    failures: Annotated[bool, typer.Option("--failures", help="列出读取失败的文件 / list failed files")] = False,
) -> None:
    """报告库概况 / what the corpus holds."""
    store = _store(db, create=False)
    try:
        c = store.counts()
        fails = store.failures() if failures else []
    finally:
        store.close()
    out.print(f"报告 {c.reports} 份（现行 {c.current}，被更正版本取代 {c.superseded}）；机关已确认 {c.accepted}，"
              f"待确认 {c.pending}，未匹配 {c.unmatched}；单元格 {c.cells}，核查结果 {c.findings}；"
              f"读取失败 {c.failures}；原始文件 {c.blobs} 个，{c.blob_bytes / 1e6:.1f} MB")
    for f in fails:
        out.print(f"  {f.source}：{f.message}（{f.code}，{f.attempts} 次）")


# ---------------------------------------------------------------- a supervisor's answers


def _entries_for(store: Any, year: int, region: str | None, parts: bool = True) -> list[Any]:
    """This year's and last year's reports (continuity and copies look one year back)."""
    return store.entries(year, region, parts=parts) + store.entries(year - 1, region, parts=parts)


@corpus_app.command()
def check(
    year: Year,
    region: Annotated[str | None, typer.Option("--region", help="地区名称或代码（默认全库）/ region")] = None,
    as_of: AsOf = None,
    rule: Annotated[list[str] | None, typer.Option("--rule", help="只运行这些规则 / only these rules")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="写出 CSV / XLSX / JSON")] = None,
    db: Db = None,
) -> None:
    """跨报告核查：与上年衔接、未发布与逾期、文本雷同、异常值 / checks across reports."""
    from xxgk.corpus.checks import check_corpus

    store = _store(db, create=False)
    try:
        reg = _registry(store)
        code = _region_code(reg, region) if region else None
        entries = _entries_for(store, year, code)
    finally:
        store.close()
    agencies = reg.expected_reporters(code) if code else list(reg.agencies.values())
    findings = check_corpus(entries, agencies=agencies, year=year, as_of=_date(as_of), rules=rule or None)
    names = {a.code: a.name for a in reg.agencies.values()}
    if output is not None:
        _write_findings(findings, names, output)
    else:
        table = Table(title=f"{year}年度跨报告核查：{len(findings)} 条 / findings")
        for col in ("级别", "规则", "机关", "报告", "说明"):
            table.add_column(col, overflow="fold")
        for f in findings:
            table.add_row({"error": "错误", "warning": "警告", "info": "提示"}[f.severity], f.rule,
                          names.get(f.agency or "", f.agency or ""), f.report or "", f.message)
        out.print(table)
    if any(f.severity == "error" for f in findings):
        raise typer.Exit(1)


def _write_findings(findings: list[Any], names: dict[str, str], output: Path) -> None:
    """The findings as JSON, or as a CSV/XLSX table written by the lake's result writer."""
    suffix = output.suffix.lower()
    if suffix == ".json":
        _write(output, json.dumps([{**f.__dict__} for f in findings], ensure_ascii=False, default=str,
                                  indent=1).encode())
        return
    if suffix not in (".csv", ".xlsx"):
        raise XxgkError("bad-format", f"不支持的输出格式“{suffix}”（可用 .csv .xlsx .json）",
                        f"unsupported output format {suffix!r} (.csv .xlsx .json)")
    from xxgk.corpus.lake import QueryResult, export_result

    head = ["级别", "规则", "机关代码", "机关", "年度", "报告编号", "涉及报告", "单元格", "说明", "message"]
    rows = [(f.severity, f.rule, f.agency or "", names.get(f.agency or "", ""), f.year, f.report or "",
             "、".join(f.others), "、".join(f.cells), f.message, f.message_en) for f in findings]
    export_result(QueryResult(head, rows), output)
    out.print(f"已写出 / written: {output}")


@corpus_app.command()
def status(
    region: Annotated[str, typer.Option("--region", help="地区名称或代码 / region", show_default=False)],
    year: Year,
    as_of: AsOf = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="写出 XLSX 或 CSV（每个机关一行）/ "
                                                 "one row per agency")] = None,
    db: Db = None,
) -> None:
    """督查汇总：应报、已报、逾期、未报、有错误的机关 / expected, received, late, missing, with errors."""
    from xxgk.corpus.answers import status as status_rows
    from xxgk.corpus.answers import status_csv, status_xlsx, summarize
    from xxgk.corpus.checks import check_corpus

    day = _date(as_of)
    store = _store(db, create=False)
    try:
        reg = _registry(store)
        code = _region_code(reg, region)
        entries = _entries_for(store, year, code)
    finally:
        store.close()
    agencies = reg.expected_reporters(code)
    findings = check_corpus(entries, agencies=agencies, year=year, as_of=day)
    rows = status_rows(agencies, entries, year, day, findings)
    summary = summarize(rows, year, day)
    if output is not None:
        data = status_xlsx(rows, summary) if output.suffix.lower() == ".xlsx" else status_csv(rows)
        _write(output, data)
    else:
        table = Table(title=f"{'/'.join(r.name for r in reg.region_path(code))} {year}年度报告")
        for col in ("机关", "类别", "发布日期", "期限", "是否按时", "错误", "警告", "问题"):
            table.add_column(col, overflow="fold")
        for r in rows:
            table.add_row(r.name, r.kind_zh, str(r.published or ""), str(r.deadline), r.on_time,
                          str(r.errors), str(r.warnings), r.problems_zh)
        out.print(table)
    out.print(summary.zh())


@corpus_app.command()
def compare(
    agency: Annotated[str, typer.Argument(help="机关代码或名称 / agency", show_default=False)],
    years: Annotated[tuple[int, int], typer.Option("--years", help="两个年度 / two years", show_default=False)],
    all_cells: Annotated[bool, typer.Option("--all", help="列出全部单元格（默认只列变化的）/ every cell")] = False,
    db: Db = None,
) -> None:
    """同一机关两个年度对照：变化的单元格与各部分文字差异 / two years of one agency side by side."""
    from xxgk.corpus.answers import compare as compare_two
    from xxgk.corpus.checks import current

    store = _store(db, create=False)
    try:
        reg = _registry(store)
        code = _agency_code(reg, agency)
        found = {}
        for y in years:
            e = current(store.entries(y, None, agency=code)).get((code, y))
            if e is None:
                raise XxgkError("no-report", f"库中没有{reg.agencies[code].name}的{y}年度报告",
                                f"no {y} report of {code} in the corpus")
            found[y] = e
    finally:
        store.close()
    c = compare_two(found[years[0]], found[years[1]], all_cells=all_cells)
    name = reg.agencies[code].name
    table = Table(title=f"{name}：{years[0]}年与{years[1]}年对照，变化的单元格 {sum(x.state != 'same' for x in c.cells)} 个")
    for col in ("表", "行", "列", str(years[0]), str(years[1]), "变化"):
        table.add_column(col, overflow="fold")
    for x in c.cells:
        table.add_row(x.table_zh, x.row_zh, x.column_zh, _num(x.a), _num(x.b),
                      (f"{x.change:+g}" if isinstance(x.change, int | float) else "") + f" {x.state_zh}")
    out.print(table)
    from xxgk.template import load_template

    tables = {tb.part for tb in load_template(found[years[1]].template).tables}
    for p in c.parts:
        if p.part in tables:
            continue  # its table is compared cell by cell above; its text is the table's layout
        out.print(f"【{p.title}】相似度 {p.similarity:.0%}" + ("" if p.changed else "（未改动）"))
        if p.changed:
            out.print(p.terminal())


def _num(v: object) -> str:
    return "—" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


# ---------------------------------------------------------------- export, query, demo


class ExportFmt(StrEnum):
    parquet = "parquet"
    xlsx = "xlsx"
    csv = "csv"


DEFAULT_LAKE = "xxgk-lake"


@corpus_app.command("export")
def export_cmd(
    to: Annotated[ExportFmt, typer.Option("--to", help="格式 / format")] = ExportFmt.parquet,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Parquet 目录（默认 xxgk-lake）或 XLSX/CSV 文件"
                                                 " / Parquet folder or XLSX/CSV file")] = None,
    db: Db = None,
) -> None:
    """导出全库：Parquet（按年度、省份分区）供 DuckDB 查询，或全国宽表 XLSX/CSV / export the corpus."""
    from xxgk.corpus import lake

    if to is ExportFmt.parquet:
        target = output or Path(DEFAULT_LAKE)
        s = lake.export_parquet(db, target)
        out.print(f"已写出 / written: {target}（报告 {s.reports} 份，单元格 {s.cells} 个，{s.seconds:.1f} 秒）")
        out.print(f"查询 / query: xxgk corpus query \"SELECT year, count(*) FROM reports GROUP BY year\" --lake {target}")
        return
    if output is None:
        raise XxgkError("no-output", "请用 -o 指定输出文件", "give the output file with -o")
    lake.export_table(db, output, fmt=to.value)
    out.print(f"已写出 / written: {output}")


@corpus_app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL（DuckDB；视图 reports、cells、wide）", show_default=False)],
    lake_dir: Annotated[Path, typer.Option("--lake", help="Parquet 目录（xxgk corpus export 写出）")] = Path(DEFAULT_LAKE),
    output: Annotated[Path | None, typer.Option("-o", "--output", help="结果写出 CSV / XLSX")] = None,
    limit: Annotated[int, typer.Option("--limit", help="屏幕上最多显示的行数 / rows shown")] = 50,
) -> None:
    """用 DuckDB 查询导出的 Parquet / query the exported corpus with DuckDB."""
    from xxgk.corpus import lake

    result = lake.query(sql, lake_dir)
    if output is not None:
        lake.export_result(result, output)
        out.print(f"已写出 / written: {output}（{len(result.rows)} 行）")
        return
    table = Table(title=f"{len(result.rows)} 行 / rows")
    for c in result.columns:
        table.add_column(str(c), overflow="fold")
    for row in result.rows[:limit]:
        table.add_row(*("" if v is None else str(v) for v in row))
    out.print(table)
    if len(result.rows) > limit:
        out.print(f"（只显示前 {limit} 行；-o 写出全部）")


@corpus_app.command("make-demo")
def make_demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="输出目录（新建或空目录）/ a new or empty folder",
                                         show_default=False)],
    reports: Annotated[int, typer.Option("--reports", min=1, help="报告份数（约数）/ about this many reports")] = 2000,
    years: Annotated[list[int] | None, typer.Option("--year", help="年度（可多次；默认 2022–2024）")] = None,
    seed: Annotated[int, typer.Option("--seed", help="随机种子 / seed")] = 0,
    workers: Annotated[int, typer.Option("--workers", min=1, help="进程数 / processes")] = os.cpu_count() or 1,
) -> None:
    """生成一个虚拟国家：地区、机关、多年度报告（含已知比例的逾期、缺报、雷同与计算错误）及其真值 / a
    synthetic country for demos and benchmarks."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from xxgk.corpus.country import make_country

    with Progress(TextColumn("生成 / writing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task("make", total=None)
        m = make_country(output, reports=reports, years=tuple(years or (2022, 2023, 2024)), seed=seed,
                         workers=workers, progress=lambda done, total: bar.update(task, completed=done, total=total))
    out.print(f"已写出 / written: {output}：报告 {m.reports} 份（应报 {m.expected}，缺报 {m.missing}），"
              f"机关 {sum(m.agencies.values())} 个，地区 {sum(m.regions.values())} 个；{m.seconds:.0f} 秒")
    out.print(f"下一步 / next: xxgk corpus agencies import {output}/registry/地区.csv {output}/registry/机关.csv；"
              f"xxgk corpus ingest {output}/reports")
