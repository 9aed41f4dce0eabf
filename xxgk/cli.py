"""The ``xxgk`` command: a thin shell over the Python API (``xxgk.parse``, ``xxgk.check`` …)."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import pydantic_core
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from xxgk import batch, export
from xxgk.checks.rules import all_rules, rules_markdown
from xxgk.errors import XxgkError, internal_error
from xxgk.model import Report

app = typer.Typer(
    name="xxgk",
    help="信息公开 xxgk：读取、核查政府信息公开工作年度报告 / read and check annual reports on "
    "government information disclosure.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err = Console(stderr=True)


class ParseFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    xlsx = "xlsx"


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    jsonl = "jsonl"


class AgencyKind(StrEnum):
    auto = "auto"
    government = "government"
    office = "office"
    department = "department"
    township = "township"
    other = "other"


Paths = Annotated[list[Path], typer.Argument(help="文件或文件夹 / files or folders", show_default=False)]
Jobs = Annotated[int, typer.Option("--jobs", "-j", help="并行进程数（0 = 全部核心）/ processes (0 = all cores)")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="输出文件（默认标准输出）/ output file")]
MaxSize = Annotated[float, typer.Option("--max-size", help="单个文件上限（MB）/ per-file size limit (MB)")]
Timeout = Annotated[float, typer.Option(
    "--timeout", help=f"每个文件的时限（秒；0 = 自动：{batch.BASE_TIMEOUT:.0f} 秒 + 每 MB {batch.TIMEOUT_PER_MB:.0f} 秒），"
    f"超时的文件记为失败 / seconds per file (0 = auto: {batch.BASE_TIMEOUT:.0f} s + {batch.TIMEOUT_PER_MB:.0f} s "
    "per MB); a file past it fails")]
Memory = Annotated[int, typer.Option(
    "--memory", help="每个读取进程可再用的内存（MB；0 = 不限），超限的文件记为失败 / memory a reading process may "
    "add (MB; 0 = no limit); a file past it fails")]


def _fail(e: XxgkError) -> None:
    # assembled from plain pieces: a message holding a file name or a title is never Rich markup
    err.print(Text.assemble(("错误", "red"), "：", e.message, " / error: ", e.message_en), highlight=False,
              soft_wrap=True)
    raise typer.Exit(2)


@dataclass
class _Tally:
    """What the summary needs, kept while the items stream past."""

    files: int = 0
    failed: list[batch.Item] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0

    def add(self, item: batch.Item) -> None:
        self.files += 1
        if item.failure:
            self.failed.append(batch.Item(item.path, failure=item.failure))
        for f in item.findings or []:
            self.errors += f.severity == "error"
            self.warnings += f.severity == "warning"


def _stream(paths: list[Path], tally: _Tally, *, do_check: bool, jobs: int, max_size: float, timeout: float,
            memory: int, check_options: dict[str, str] | None = None, encode: Callable[[batch.Item], bytes] | None = None,
            to_stdout: bool = False) -> Iterator[batch.Item]:
    """Every item of the batch, in order, as it is done, with a progress bar (counts, failures,
    ETA) on a terminal. The bar refreshes from this thread (no refresh thread: the batch forks)."""
    files, missing = batch.collect(paths)
    show = err.is_terminal and len(files) > 1 and not (to_stdout and sys.stdout.isatty())
    progress = Progress(
        TextColumn("[bold]读取 reading"), BarColumn(), MofNCompleteColumn(), TextColumn("失败 failed {task.fields[failed]}"),
        TimeElapsedColumn(), TextColumn("剩余 ETA"), TimeRemainingColumn(),
        console=err, disable=not show, transient=True, auto_refresh=False, redirect_stdout=False,
        redirect_stderr=False,
    )
    task = progress.add_task("files", total=len(files), failed=0)
    last = [0.0]

    def done(item: batch.Item) -> None:
        progress.update(task, advance=1, failed=len(tally.failed) + (item.failure is not None))
        now = time.monotonic()
        if now - last[0] > 0.1:
            last[0] = now
            progress.refresh()

    for item in missing:
        tally.add(item)
        yield item
    with progress:
        for item in batch.run(files, do_check=do_check, jobs=jobs or None, max_bytes=int(max_size * 1048576),
                              check_options=check_options, on_done=done, encode=encode,
                              keep_report=encode is None,
                              limits=batch.Limits(timeout or None, memory or None)):
            tally.add(item)
            yield item


def _summary(tally: _Tally, checked: bool) -> None:
    if tally.files == 1 and not tally.failed and not checked:
        return
    table = Table(title="汇总 / summary", show_lines=False)
    table.add_column("文件 files", justify="right")
    table.add_column("成功 read", justify="right")
    table.add_column("失败 failed", justify="right")
    if checked:
        table.add_column("错误 errors", justify="right")
        table.add_column("警告 warnings", justify="right")
    row = [str(tally.files), str(tally.files - len(tally.failed)), str(len(tally.failed))]
    if checked:
        row += [str(tally.errors), str(tally.warnings)]
    table.add_row(*row)
    err.print(table)
    for i in tally.failed:
        assert i.failure is not None
        err.print(Text.assemble(("失败", "red"), " ", i.path, "：", i.failure.message, " / ", i.failure.message_en),
                  highlight=False, soft_wrap=True)


def _emit(text: str | bytes, output: Path | None) -> None:
    if output is None:
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        sys.stdout.flush()
    else:
        export.write_atomic(output, text)


def _single_failure(item: batch.Item, single: bool) -> None:
    """One file named, and it failed: its reason on one line, exit 2, nothing written."""
    if single and item.failure:
        f = item.failure
        _fail(XxgkError(f.code, f.message, f.message_en))


@app.command()
def parse(
    paths: Paths,
    format: Annotated[ParseFormat, typer.Option("--format", "-f", help="输出格式 / output format")] = ParseFormat.json,
    output: Output = None,
    jobs: Jobs = 0,
    max_size: MaxSize = 20,
    timeout: Timeout = 0,
    memory: Memory = batch.DEFAULT_MEMORY_MB,
) -> None:
    """读取年度报告，输出每个表格单元格的精确数据 / read reports into exact cell data.

    Example: xxgk parse report.txt --format json
    """
    single = len(paths) == 1 and not paths[0].is_dir()
    tally = _Tally()
    opts: dict[str, Any] = {"do_check": False, "jobs": jobs, "max_size": max_size, "timeout": timeout,
                            "memory": memory}
    if format is ParseFormat.xlsx:
        from xxgk.export_xlsx import Workbook, too_many

        if output is None:
            _fail(XxgkError("usage", "XLSX 输出需要 --output 文件名", "XLSX output needs --output FILE"))
            return
        files, missing = batch.collect(paths)
        reason = too_many(len(files) + len(missing))
        if reason:
            zh, en = reason.split(" / ", 1)
            _fail(XxgkError("too-many-for-xlsx", zh, en))
        with export.temp_path(output) as tmp:
            book = Workbook(tmp)
            for item in _stream(paths, tally, **opts):
                _single_failure(item, single)
                book.add(item)
            book.close()
    else:
        encode, make = {
            ParseFormat.json: ((partial(export.encode_json, element=False), export.Lines) if single
                               else (export.encode_json, export.JsonArray)),
            ParseFormat.jsonl: (export.encode_jsonl, export.Lines),
            ParseFormat.csv: (export.encode_csv, partial(export.Lines, header=export.csv_header())),
        }[format]
        with export.sink(output) as out:
            writer = None
            for item in _stream(paths, tally, encode=encode, to_stdout=output is None, **opts):
                _single_failure(item, single)
                writer = writer or make(out)
                if item.payload is not None:
                    writer.write(item.payload)
            (writer or make(out)).close()
    _summary(tally, checked=False)
    if tally.failed:
        raise typer.Exit(1)


@app.command()
def check(
    paths: Paths,
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="输出格式 / output format")] = CheckFormat.text,
    output: Output = None,
    jobs: Jobs = 0,
    max_size: MaxSize = 20,
    agency_kind: Annotated[AgencyKind, typer.Option(
        "--agency-kind", help="机关类别，决定发布期限（本级政府3月31日，其他1月31日）；默认由标题、落款和正文判断 / "
        "the agency's kind, which decides the deadline (a government's own report 31 March, others 31 "
        "January); by default decided from the title, signature and body")] = AgencyKind.auto,
    show_info: Annotated[bool, typer.Option("--info/--no-info", help="显示提示级别结果 / show info findings")] = False,
    timeout: Timeout = 0,
    memory: Memory = batch.DEFAULT_MEMORY_MB,
) -> None:
    """核查年度报告（勾稽关系、缺项、正文与表格矛盾、逾期发布等）；发现错误时退出码为1
    / check reports like an evaluator; exits 1 when an error is found.

    Example: xxgk check reports/ --format json
    """
    single = len(paths) == 1 and not paths[0].is_dir()
    tally = _Tally()
    encode, make = {
        CheckFormat.text: (partial(export.encode_check_text, show_info=show_info), export.Lines),
        CheckFormat.json: ((partial(export.encode_check_json, element=False), export.Lines) if single
                           else (export.encode_check_json, export.JsonArray)),
        CheckFormat.jsonl: (export.encode_check_jsonl, export.Lines),
    }[format]
    with export.sink(output) as out:
        console = None
        if format is CheckFormat.text:
            text = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
            console = Console(file=sys.stdout if output is None else text, highlight=False, soft_wrap=True)
        writer = None
        for item in _stream(paths, tally, do_check=True, jobs=jobs, max_size=max_size, timeout=timeout,
                            memory=memory, check_options={"agency_kind": agency_kind.value}, encode=encode,
                            to_stdout=output is None):
            _single_failure(item, single)
            if item.payload is None:
                continue
            if console is not None:
                console.print(export.decode_check_text(item.payload))
            else:
                writer = writer or make(out)
                writer.write(item.payload)
        if console is None:
            (writer or make(out)).close()
        else:
            text.flush()
            text.detach()
    _summary(tally, checked=True)
    if tally.errors or tally.failed:
        raise typer.Exit(1)


@app.command()
def render(
    source: Annotated[Path, typer.Argument(help="报告 JSON（xxgk parse 的输出）或任一可读取的报告文件 / a report JSON "
                                           "(from xxgk parse) or any report file xxgk reads", show_default=False)],
    to: Annotated[str, typer.Option("--to", "-t", help="docx | html | pdf | xlsx | md")] = "html",
    output: Output = None,
    force: Annotated[bool, typer.Option("--force", help="勾稽关系不成立时仍输出 / write even if the arithmetic fails")] = False,
) -> None:
    """按官方格式输出年度报告（DOCX、HTML、PDF、XLSX、Markdown）；勾稽关系不成立时拒绝输出并指出单元格
    / write a report in the official layout; refuses a report whose arithmetic fails, naming the cells.

    Example: xxgk render report.json --to docx -o report.docx
    """
    from xxgk.writers import render as write

    report = _load_report(source)
    data = write(report, to, force=force)
    if output is None and to in ("docx", "pdf", "xlsx"):
        _fail(XxgkError("usage", f"{to.upper()} 输出需要 --output 文件名", f"{to.upper()} output needs --output FILE"))
    _emit(data if to in ("docx", "pdf", "xlsx") else data.decode("utf-8"), output)


def _load_report(source: Path) -> Report:
    from pydantic import ValidationError

    from xxgk.api import parse
    from xxgk.readers import read_bytes

    data = read_bytes(source)
    if data.lstrip()[:1] == b"{":
        try:
            return Report.model_validate_json(data)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise XxgkError("bad-report-json", f"报告 JSON 不符合格式（{where}：{first['msg']}）：{source}",
                            f"the report JSON does not fit the schema ({where}: {first['msg']}): {source}") from None
    return parse(source)


@app.command()
def rules(
    format: Annotated[str, typer.Option("--format", "-f", help="text | md | json")] = "text",
) -> None:
    """列出全部核查规则及其代码 / list every check with its stable code."""
    if format == "md":
        sys.stdout.write(rules_markdown())
    elif format == "json":
        sys.stdout.write(json.dumps([r.__dict__ for r in all_rules()], ensure_ascii=False, indent=1) + "\n")
    else:
        table = Table("code", "severity", "规则", "rule")
        for r in all_rules():
            table.add_row(r.code, r.severity, r.title, r.title_en)
        Console().print(table)


@app.command()
def cells(
    template: Annotated[str, typer.Option("--template", "-t", help="2019 | 2021")] = "2021",
    format: Annotated[str, typer.Option("--format", "-f", help="tsv | md")] = "tsv",
) -> None:
    """列出模板的全部单元格标识 / list a template's cell identifiers with their labels."""
    from xxgk.template import cells_markdown, load_template

    try:
        t = load_template(template)
    except KeyError as e:
        _fail(XxgkError("usage", f"未知模板：{template}", str(e)))
        return
    if format == "md":
        sys.stdout.write(cells_markdown(t))
        return
    for cid in t.cell_ids:
        spec = t.cell(cid)
        sys.stdout.write(f"{cid}\t{spec.row.numbering}{spec.row.label.text}\t{spec.column.label.text}\n")


@app.command()
def schema(
    kind: Annotated[str, typer.Argument(help="report | finding")] = "report",
) -> None:
    """输出 JSON Schema / print the JSON Schema of the output."""
    from xxgk.model import Finding, Report

    model = {"report": Report, "finding": Finding}.get(kind)
    if model is None:
        _fail(XxgkError("usage", f"未知类型：{kind}（可选 report、finding）", f"unknown kind: {kind} (report, finding)"))
        return
    sys.stdout.write(json.dumps(model.model_json_schema(), ensure_ascii=False, indent=1) + "\n")


@app.command()
def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹 / output folder")] = Path("xxgk-demo"),
    jobs: Jobs = 0,
) -> None:
    """用随附的五份真实年度报告演示：读取、核查并导出 / the main job on the bundled demo reports:
    read, check and export (JSON Lines, CSV, XLSX, findings)."""
    src = resources.files("xxgk.demo")
    output.mkdir(parents=True, exist_ok=True)
    inputs = output / "reports"
    inputs.mkdir(exist_ok=True)
    for entry in src.iterdir():
        if entry.name.endswith(".txt"):
            with resources.as_file(entry) as f:
                shutil.copy(f, inputs / entry.name)
    tally = _Tally()
    items = list(_stream([inputs], tally, do_check=True, jobs=jobs, max_size=20, timeout=0,
                         memory=batch.DEFAULT_MEMORY_MB))
    reports = [i.report for i in items if i.report is not None]
    export.write_atomic(output / "reports.jsonl", export.to_jsonl(reports))
    export.write_atomic(output / "cells.csv", export.to_csv(reports))
    export.write_atomic(output / "reports.xlsx", export.to_xlsx(reports))
    findings = [{"source_path": i.path, "findings": i.findings or []} for i in items if i.report]
    export.write_atomic(output / "findings.json", pydantic_core.to_json(findings, indent=1) + b"\n")
    out = Console(highlight=False, soft_wrap=True)
    for i in items:
        if i.report is None:
            continue
        r = i.report
        errors = [f for f in i.findings or [] if f.severity != "info"]
        out.print(Text.assemble((Path(i.path).name, "bold"), f"  {r.agency or '（未署名机关）'} {r.report_year}年 "
                                f"模板{r.template}，{sum(v is not None for v in r.cells.values())}/{len(r.cells)}"
                                f"个单元格有值，{len(r.ambiguous)}个待定"))
        for f in errors:
            out.print(export.finding_text(f))
    _summary(tally, checked=True)
    out.print(Text(f"\n输出 / written: {output}/reports.jsonl, cells.csv, reports.xlsx, findings.json"))
    _demo_office(output, out)


def _demo_office(output: Path, out: Console) -> None:
    """The office on demo records: a SQLite database, the year's reports from the records, checked."""
    from xxgk.checks import run as run_checks
    from xxgk.office.demo import populate
    from xxgk.office.service import Office
    from xxgk.writers import render as write

    db = output / "office.db"
    for stale in output.glob("office.db*"):
        stale.unlink()
    office = Office.open(f"sqlite:///{db}", actor="demo")
    try:
        counts = populate(office, 2024)
        out.print(Text.assemble("\n", ("申请办理演示 / the office on demo records", "bold"), f"（{db}）"))
        for code in counts:
            report = office.tally(code, 2024)
            arithmetic = [f for f in run_checks(report) if f.rule.startswith(("requests-", "appeals-"))]
            for fmt in ("html", "docx"):
                export.write_atomic(output / f"office-{code}-2024.{fmt}", write(report, fmt))
            c = report.cells
            out.print(Text.assemble(
                f"  {report.agency}：新收 {c['requests.new.total']}，上年结转 {c['requests.carried_in.total']}，"
                f"办结 {c['requests.total.total']}，结转下年 {c['requests.carried_out.total']}；",
                ("勾稽关系成立", "green") if not arithmetic else (f"{len(arithmetic)} 处不平", "red")))
        out.print(Text(f"输出 / written: {output}/office-*-2024.html, office-*-2024.docx；"
                       f"继续试用 / try: xxgk office list fgw --db sqlite:///{db}"))
    finally:
        office.close()


from xxgk.cli_corpus import corpus_app  # noqa: E402 - after the app it extends
from xxgk.cli_office import deadline, office_app  # noqa: E402 - after the app it extends

app.add_typer(office_app, name="office")
app.add_typer(corpus_app, name="corpus")
app.command("deadline")(deadline)

from xxgk.cli_web import init as web_init  # noqa: E402
from xxgk.cli_web import serve, users_app  # noqa: E402

app.add_typer(users_app, name="users")
app.command("serve")(serve)
app.command("init")(web_init)


def main() -> None:
    try:
        app()
    except XxgkError as e:
        err.print(f"错误：{e.message} / error: {e.message_en}", highlight=False, soft_wrap=True, markup=False)
        sys.exit(2)
    except BrokenPipeError:  # output piped into a command that stopped reading (head, less)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except OSError as e:  # a folder given for a file, no permission, disk full …
        where = f"：{e.filename}" if getattr(e, "filename", None) else ""
        err.print(f"错误：无法读写文件{where}（{e.strerror or type(e).__name__}） / error: cannot read or write"
                  f" {e.filename or 'a file'} ({e.strerror or type(e).__name__})", highlight=False, soft_wrap=True,
                  markup=False)
        sys.exit(2)
    except OverflowError:
        err.print("错误：日期超出可计算的范围 / error: a date is out of range", highlight=False, markup=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("已中断 / interrupted")
        sys.exit(130)
    except MemoryError:
        err.print("错误：内存不足，已停止 / error: out of memory; stopped", highlight=False, markup=False)
        sys.exit(2)
    except RecursionError:
        err.print("错误：文件结构过于复杂，无法处理 / error: the input is too deeply nested to handle",
                  highlight=False, markup=False)
        sys.exit(2)
    except Exception as e:  # a bug (render, office compare …): one line to report, as parse/check give
        if os.environ.get("XXGK_DEBUG"):
            raise
        bug = internal_error(e)
        err.print(f"错误：{bug.message} / error: {bug.message_en}", highlight=False, soft_wrap=True, markup=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
