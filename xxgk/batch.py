"""Batch work: many files, all cores, a failure never stops the rest."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from xxgk.errors import XxgkError
from xxgk.model import Finding, ParseFailure, Report
from xxgk.readers import DEFAULT_MAX_BYTES


@dataclass
class Item:
    path: str
    report: Report | None = None
    findings: list[Finding] | None = None
    failure: ParseFailure | None = None


def collect(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Item]]:
    """Files named, and files inside folders named (recursively, hidden ones skipped).

    Paths that do not exist come back as failed items, so a batch reports them and goes on.
    """
    files: list[Path] = []
    missing: list[Item] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts):
                    files.append(f)
        elif p.exists():
            files.append(p)
        else:
            missing.append(Item(str(p), failure=ParseFailure(
                source_path=str(p), code="not-found", message=f"文件不存在：{p}",
                message_en=f"no such file: {p}")))
    return files, missing


def process_one(path: str, do_check: bool = False, max_bytes: int = DEFAULT_MAX_BYTES,
                check_options: dict[str, str] | None = None) -> Item:
    from xxgk.api import check, parse

    try:
        report = parse(path, max_bytes=max_bytes)
        findings = check(report, **(check_options or {})) if do_check else None
        return Item(path, report, findings)
    except XxgkError as e:
        return Item(path, failure=ParseFailure(source_path=path, code=e.code, message=e.message,
                                               message_en=e.message_en))
    except Exception as e:  # a bug: report it on one line, keep the batch going
        return Item(path, failure=ParseFailure(
            source_path=path, code="internal-error",
            message=f"内部错误（{type(e).__name__}: {e}），请报告此问题：{path}",
            message_en=f"internal error ({type(e).__name__}: {e}); please report it: {path}"))


def _chunk(args: tuple[list[str], bool, int, dict[str, str] | None]) -> list[Item]:
    paths, do_check, max_bytes, opts = args
    return [process_one(p, do_check, max_bytes, opts) for p in paths]


def run(
    files: list[Path], *, do_check: bool = False, jobs: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES, check_options: dict[str, str] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> Iterator[Item]:
    """Process ``files`` in order, in parallel on ``jobs`` processes (default: all cores)."""
    jobs = jobs or os.cpu_count() or 1
    names = [str(f) for f in files]
    if jobs <= 1 or len(names) <= 4:
        for n in names:
            item = process_one(n, do_check, max_bytes, check_options)
            if on_done:
                on_done(1)
            yield item
        return
    size = max(1, min(64, len(names) // (jobs * 8) or 1))
    chunks = [names[i:i + size] for i in range(0, len(names), size)]
    with ProcessPoolExecutor(max_workers=jobs) as ex:
        for items in ex.map(_chunk, [(c, do_check, max_bytes, check_options) for c in chunks]):
            if on_done:
                on_done(len(items))
            yield from items
