"""Errors a person reads: a stable code, a Chinese message and an English one, on one line."""

from __future__ import annotations


class XxgkError(Exception):
    """A failure caused by the input, never by a bug: reported as one line, exit code 2."""

    def __init__(self, code: str, message: str, message_en: str) -> None:
        super().__init__(f"{message} / {message_en}")
        self.code = code
        self.message = message
        self.message_en = message_en

    def __str__(self) -> str:
        return f"{self.message} / {self.message_en}"


def internal_error(e: BaseException, path: str | None = None) -> XxgkError:
    """A bug (an exception the code does not document) as one line a person can report: its
    kind, message and where it was raised, the file being read if any."""
    import traceback
    from pathlib import Path

    tb = traceback.extract_tb(e.__traceback__)
    where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
    on, on_en = (f"：{path}", f": {path}") if path else ("", "")
    return XxgkError("internal-error", f"内部错误（{type(e).__name__}: {e}，{where}），请报告此问题{on}",
                     f"internal error ({type(e).__name__}: {e}, at {where}); please report it{on_en}")
