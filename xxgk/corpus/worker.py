"""What a Dask task does: read, check and match a batch of documents, each under a time limit.

A task gets the documents' bytes (workers need no shared file system) and returns one result per
document: ``("ok", Digest)`` or ``("fail", code, message, message_en)``. Every exception inside a
document becomes a failure; the task itself never raises, so Dask retries a batch only when its
worker was lost.

The time limit: a Dask task runs in a worker thread, which can be neither interrupted nor killed.
So the worker forks a reader process (a copy of itself, everything imported and warmed up,
started in milliseconds) and keeps it for the next tasks; the task sends it one document at a
time through a pipe and keeps a timer on it, and kills the reader (and whatever it started, e.g.
LibreOffice) at the document's limit: that document becomes a failure (超时), a new reader takes
the next one. A reader that crashes costs only its document (进程异常退出); it limits its own
memory (``RLIMIT_AS``) like :mod:`xxgk.batch`'s workers, is replaced every ``RECYCLE_AFTER``
documents (flat memory), and dies with the worker. Without ``os.fork`` (Windows) documents are
read in the task's thread, without a time limit.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xxgk.batch import (
    DEFAULT_MEMORY_MB,
    RECYCLE_AFTER,
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


_warm = False


def warm_up() -> None:
    """Import the reader and checker, and read one demo report, in the worker itself: every reader
    forked from it starts with modules, templates and compiled patterns ready (else each batch
    would pay ~0.5 s of imports)."""
    global _warm
    if _warm:
        return
    _warm = True
    try:
        from importlib import resources

        demo = sorted(p for p in resources.files("xxgk.demo").iterdir() if p.name.endswith(".txt"))[0]
        read_one(demo.name, demo.read_bytes())
    except Exception:  # noqa: BLE001, S110 - a warm-up only saves time
        pass


def read_batch(docs: list[tuple[str, bytes]], timeout: float | None = None,
               memory_mb: int | None = DEFAULT_MEMORY_MB, matcher: Callable[[Any], Match] | None = None
               ) -> list[Result]:
    """The Dask task: one result per (source, bytes), in order."""
    if not hasattr(os, "fork"):
        return [read_one(s, d, matcher) for s, d in docs]
    warm_up()
    limits = Limits(timeout=timeout, memory_mb=memory_mb)
    reader = getattr(_local, "reader", None)
    if reader is None or not reader.serves(limits, matcher):
        if reader is not None:
            reader.stop()
        reader = _local.reader = _Reader(limits, matcher)
    return [reader.read(source, data) for source, data in docs]


_local = threading.local()  # one reader per worker thread (a worker has one thread; a Dask worker may have more)


class _Reader:
    """A reader process forked from the worker, kept for the next documents and tasks: it reads
    what it is sent, one document at a time, under the timer of :meth:`read`; it is replaced
    after a timeout, a crash, running out of memory, or ``RECYCLE_AFTER`` documents."""

    def __init__(self, limits: Limits, matcher: Callable[[Any], Match] | None) -> None:
        self.limits, self.matcher = limits, matcher
        self.pid = 0
        self.conn: Any = None
        self.done = 0

    def serves(self, limits: Limits, matcher: Callable[[Any], Match] | None) -> bool:
        return self.limits == limits and self.matcher is matcher

    def start(self) -> None:
        here, there = mp.Pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's coverage is not collected
            here.close()
            _child(there, self.limits.memory_mb, self.matcher)
        there.close()
        self.pid, self.conn, self.done = pid, here, 0

    def stop(self, kill: bool = False) -> int | None:
        """End the reader (politely, unless ``kill``); its exit code."""
        if not self.pid:
            return None
        if kill:
            _kill(self.pid)
        else:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                _kill(self.pid)
        self.conn.close()
        code = _exit_code(self.pid)
        self.pid, self.conn = 0, None
        return code

    def read(self, source: str, data: bytes) -> Result:
        if self.pid and self.done >= RECYCLE_AFTER:
            self.stop()
        if self.pid:
            try:
                self.conn.send((source, data))
            except (OSError, ValueError):  # it died between documents (not this one's doing)
                self.stop(kill=True)
        if not self.pid:
            self.start()
            self.conn.send((source, data))
        seconds = self.limits.seconds(len(data), data.startswith((b"\xd0\xcf\x11\xe0", b"{\\rtf")))
        try:
            if self.conn.poll(seconds):
                res = self.conn.recv()
                self.done += 1
                if res[0] == "fail" and res[1] == "memory-limit":
                    self.stop(kill=True)  # start afresh after running out of memory
                return res  # type: ignore[no-any-return]
        except (EOFError, OSError):  # it died reading this document
            code = self.stop(kill=True)
            return _fail(memory_failure(source, self.limits.memory_mb) if code == -signal.SIGKILL
                         else crash_failure(source, code))
        self.stop(kill=True)  # past its time limit
        return _fail(timeout_failure(source, seconds))


def _child(conn: Any, memory_mb: int | None, matcher: Callable[[Any], Match] | None) -> None:
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
        while True:
            try:
                msg = conn.recv()
            except EOFError:
                break
            if msg is None:
                break
            conn.send(read_one(msg[0], msg[1], matcher))
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
