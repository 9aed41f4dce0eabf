"""What a Dask task does: read, check and match a batch of documents, each under a time limit.

A task gets the documents' bytes (workers need no shared file system) and returns one result per
document: ``("ok", Digest)`` or ``("fail", code, message, message_en)``. Every exception inside a
document becomes a failure; the task itself never raises, so Dask retries a batch only when its
worker was lost.

The time limit: a Dask task runs in a worker thread, which can be neither interrupted nor killed.
So the task forks a reader process (a copy of the worker, everything imported, started in
milliseconds) that reads the documents one after another and sends each result back through a
pipe; the task keeps a timer on the document being read and kills the reader (and whatever it
started, e.g. LibreOffice) at its limit: that document becomes a failure (超时), a new reader
takes the rest of the batch. The reader limits its own memory (``RLIMIT_AS``) like
:mod:`xxgk.batch`'s workers, and dies with the worker. Without ``os.fork`` (Windows) documents are
read in the task's thread, without a time limit.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xxgk.batch import (
    DEFAULT_MEMORY_MB,
    Limits,
    _limit_memory,
    crash_failure,
    memory_failure,
    timeout_failure,
)
from xxgk.corpus.digest import digest
from xxgk.corpus.types import Match
from xxgk.errors import XxgkError

Result = tuple[Any, ...]  # ("ok", Digest) | ("fail", code, message, message_en)
_OUT_OF_MEMORY = 3


def _fail(item: Any) -> Result:
    f = item.failure
    return ("fail", f.code, f.message, f.message_en)


def read_one(source: str, data: bytes, matcher: Callable[[Any], Match] | None = None) -> Result:
    """Read, check and match one document in this process; every failure becomes data."""
    from xxgk.api import check, parse_bytes

    try:
        report = parse_bytes(data, name=source, source_path=source)
        findings = check(report)
    except XxgkError as e:
        return ("fail", e.code, e.message, e.message_en)
    except MemoryError:
        return _fail(memory_failure(source))
    except RecursionError:
        return ("fail", "too-complex", f"文件结构过于复杂，无法读取：{source}", f"file too complex to read: {source}")
    except Exception as e:  # a bug: one line, with where it happened; the batch goes on
        import traceback

        last = traceback.extract_tb(e.__traceback__)[-1]
        where = f"{Path(last.filename).name}:{last.lineno}"
        return ("fail", "internal-error", f"内部错误（{type(e).__name__}: {e}，{where}），请报告此问题：{source}",
                f"internal error ({type(e).__name__}: {e}, at {where}); please report it: {source}")
    match = None
    if matcher is not None:
        try:
            match = matcher(report)
        except Exception as e:  # noqa: BLE001 - a matcher's bug must not lose a readable report
            match = Match(agency=None, confidence=0.0, method="none", accepted=False,
                          reasons=(f"匹配出错（{type(e).__name__}: {e}），待人工确认",))
    return ("ok", digest(report, findings, match))


def read_batch(docs: list[tuple[str, bytes]], timeout: float | None = None,
               memory_mb: int | None = DEFAULT_MEMORY_MB, matcher: Callable[[Any], Match] | None = None
               ) -> list[Result]:
    """The Dask task: one result per (source, bytes), in order."""
    if not hasattr(os, "fork"):
        return [read_one(s, d, matcher) for s, d in docs]
    limits = Limits(timeout=timeout, memory_mb=memory_mb)
    results: list[Result | None] = [None] * len(docs)
    i = 0
    while i < len(docs):
        i = _run_reader(docs, i, results, limits, matcher)
    return results  # type: ignore[return-value]


def _child(conn: Any, docs: list[tuple[str, bytes]], start: int, memory_mb: int | None,
           matcher: Callable[[Any], Match] | None) -> None:
    try:
        os.setpgrp()  # its own process group: a timeout kills it and what it started
        try:
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: dies with the worker
        except (OSError, AttributeError):
            pass
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        logging.disable(logging.WARNING)
        _limit_memory(memory_mb)
        for j in range(start, len(docs)):
            res = read_one(docs[j][0], docs[j][1], matcher)
            conn.send((j, res))
            if res[0] == "fail" and res[1] == "memory-limit":
                os._exit(_OUT_OF_MEMORY)  # start afresh after running out of memory
    finally:
        os._exit(0)  # no atexit handlers, nothing of the worker's state touched


def _kill(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
            return
        except (ProcessLookupError, PermissionError):
            continue


def _exit_code(pid: int) -> int | None:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status)


def _run_reader(docs: list[tuple[str, bytes]], start: int, results: list[Result | None], limits: Limits,
                matcher: Callable[[Any], Match] | None) -> int:
    """Fork a reader for docs[start:], collect its results; returns where the next reader starts."""
    here, there = mp.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        here.close()
        _child(there, docs, start, limits.memory_mb, matcher)
    there.close()
    i, since = start, time.monotonic()
    try:
        while i < len(docs):
            source, data = docs[i]
            seconds = limits.seconds(len(data), data.startswith((b"\xd0\xcf\x11\xe0", b"{\\rtf")))
            left = since + seconds - time.monotonic()
            try:
                ready = left > 0 and here.poll(left)
                if ready:
                    j, res = here.recv()
                    results[j] = res
                    i, since = j + 1, time.monotonic()
                    continue
            except (EOFError, OSError):  # the reader died
                code = _exit_code(pid)
                pid = 0
                if code != _OUT_OF_MEMORY:  # it died in the middle of docs[i]
                    results[i] = _fail(memory_failure(source, limits.memory_mb) if code == -signal.SIGKILL
                                       else crash_failure(source, code))
                    i += 1
                return i
            _kill(pid)  # past its time limit
            _exit_code(pid)
            pid = 0
            results[i] = _fail(timeout_failure(source, seconds))
            return i + 1
        return i
    finally:
        here.close()
        if pid:
            _exit_code(pid)
