"""Files the office writes hold citizens' personal data: they are created readable by their owner only.

``write_private`` writes all of the data or nothing (a temporary file beside the target, renamed
over it), with mode 0600 from the moment the file exists — never world-readable for an instant,
whatever the umask. ``read_secret`` takes a value (an applicant file, an ID number) from a file or
standard input, so it never appears in ``ps`` or the shell's history.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from xxgk.errors import XxgkError

PRIVATE = 0o600


def write_private(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` to ``path`` atomically, owner-only (0600); an existing file is replaced."""
    p = Path(path)
    if p.is_dir():
        raise XxgkError("usage", f"输出路径是文件夹：{p}", f"the output path is a folder: {p}")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)  # mkstemp creates it 0600
    except OSError as e:
        raise XxgkError("bad-file", f"无法写入 {p}：{e.strerror}", f"cannot write {p}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, PRIVATE)
        os.replace(tmp, p)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise XxgkError("bad-file", f"无法写入 {p}：{e.strerror}", f"cannot write {p}: {e.strerror}") from None
        raise
    return p


def read_secret(source: str, what_zh: str, what_en: str, limit: int = 1 << 20) -> str:
    """The text of file ``source``, or of standard input when it is ``-`` (at most ``limit`` bytes)."""
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(limit + 1)
        else:
            with open(source, "rb") as fh:
                raw = fh.read(limit + 1)
    except OSError as e:
        raise XxgkError("bad-file", f"无法读取{what_zh}文件 {source}：{e.strerror}",
                        f"cannot read the {what_en} file {source}: {e.strerror}") from None
    if len(raw) > limit:
        raise XxgkError("bad-file", f"{what_zh}文件过大（超过 {limit} 字节）", f"the {what_en} file is too large")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise XxgkError("bad-file", f"{what_zh}文件不是 UTF-8 文本：{source}",
                        f"the {what_en} file is not UTF-8 text: {source}") from None
