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
