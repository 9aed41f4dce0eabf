"""The Python API the CLI mirrors: ``parse``, ``parse_bytes``, ``check``."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from xxgk.errors import XxgkError
from xxgk.extract import extract
from xxgk.model import Finding, Report
from xxgk.readers import DEFAULT_MAX_BYTES, read_bytes, read_document


def parse_bytes(data: bytes, name: str = "<bytes>", source_path: str | None = None) -> Report:
    """Read an annual report from its bytes."""
    doc = read_document(data, name)
    try:
        return extract(doc, source_path=source_path, content_hash=hashlib.sha256(data).hexdigest())
    except XxgkError as e:
        if e.code == "not-a-report":
            raise XxgkError(e.code, f"{e.message}：{name}", f"{e.message_en}: {name}") from None
        raise


def parse(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Report:
    """Read the annual report at ``path`` into exact data.

    Raises :class:`~xxgk.errors.XxgkError` (one-line Chinese and English message) for input that
    is not a readable annual report.
    """
    p = Path(path)
    data = read_bytes(p, max_bytes=max_bytes)
    try:
        return parse_bytes(data, name=str(p), source_path=str(p))
    except XxgkError:
        raise
    except RecursionError:
        raise XxgkError("too-complex", f"文件结构过于复杂，无法读取：{p}", f"file too complex to read: {p}") from None


def check(report: Report, **options: object) -> list[Finding]:
    """Everything an evaluator would mark down in ``report`` (see ``xxgk rules``)."""
    from xxgk.checks import run

    return run(report, **options)  # type: ignore[arg-type]
