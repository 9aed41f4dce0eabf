"""Batch work: many files, every document under a watchdog, a failure never stops the rest.

Documents are read in worker processes (``jobs`` of them), fed a few paths at a time. Each
worker limits its own address space (``resource.setrlimit(RLIMIT_AS)``), so a document that
balloons fails with a MemoryError inside the worker; the parent keeps a timer on the document
each worker is reading and kills a worker (and whatever it started, e.g. LibreOffice) whose
document runs past its time limit. Either way the document becomes a :class:`ParseFailure`
(超时 / 内存超限), a new worker takes the rest of the batch, and the batch goes on.

Workers can serialise their results (``encode``) so only bytes cross the process boundary and
the parent only writes; results come back in the order of the files, through a bounded window,
so memory stays flat whatever the size of the batch.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from xxgk.errors import XxgkError, internal_error
from xxgk.model import Finding, ParseFailure, Report
from xxgk.readers import DEFAULT_MAX_BYTES

# Per-document limits: a real report reads in well under a second (a PDF in a few); LibreOffice
# conversions of old DOC/WPS files take a few seconds more.
BASE_TIMEOUT = 60.0  # seconds, whatever the size (a damaged table can cost the aligner 10+ s)
TIMEOUT_PER_MB = 5.0  # seconds more per MB of file
CONVERSION_TIMEOUT = 60.0  # seconds more for a file LibreOffice converts first (DOC, WPS, RTF)
DEFAULT_MEMORY_MB = 2048  # address space a worker may add to what it started with
WINDOW = 128  # results held at most, waiting for an earlier document to finish
# A worker is replaced after this many documents: whatever the libraries keep between documents
# (caches grow by some 50 KB a report) is returned, so a batch of any size runs in flat memory.
RECYCLE_AFTER = 500
_OUT_OF_MEMORY, _RECYCLED = 3, 4  # a worker's exit codes


@dataclass
class Item:
    path: str
    report: Report | None = None
    findings: list[Finding] | None = None
    failure: ParseFailure | None = None
    payload: bytes | None = None  # the item serialised by the worker (``encode``)


@dataclass(frozen=True)
class Limits:
    """``timeout``: seconds per document (None: BASE_TIMEOUT + TIMEOUT_PER_MB per MB of file);
    ``memory_mb``: address space a worker may add (None or 0: no limit)."""

    timeout: float | None = None
    memory_mb: int | None = DEFAULT_MEMORY_MB

    def seconds(self, size: int, converted: bool = False) -> float:
        if self.timeout is not None and self.timeout > 0:
            return self.timeout
        return BASE_TIMEOUT + TIMEOUT_PER_MB * size / 1048576 + (CONVERSION_TIMEOUT if converted else 0)


@dataclass(frozen=True)
class Job:
    """What a worker does with each path."""

    do_check: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    check_options: dict[str, str] | None = None
    encode: Callable[[Item], bytes] | None = None  # module-level (it is sent to the workers)
    keep_report: bool = False  # send the Report back too (else only the payload)


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
            missing.append(failed(str(p), "not-found", f"文件不存在：{p}", f"no such file: {p}"))
    return files, missing


def failed(path: str, code: str, message: str, message_en: str) -> Item:
    return Item(path, failure=ParseFailure(source_path=path, code=code, message=message, message_en=message_en))


def process_one(path: str, do_check: bool = False, max_bytes: int = DEFAULT_MAX_BYTES,
                check_options: dict[str, str] | None = None) -> Item:
    """Read (and check) one file in this process; every failure becomes data."""
    from xxgk.api import check, parse

    try:
        report = parse(path, max_bytes=max_bytes)
        findings = check(report, **(check_options or {})) if do_check else None
        return Item(path, report, findings)
    except XxgkError as e:
        return failed(path, e.code, e.message, e.message_en)
    except MemoryError:
        return memory_failure(path)
    except Exception as e:  # a bug: report it on one line (with where it happened), keep going
        bug = internal_error(e, path)
        return failed(path, bug.code, bug.message, bug.message_en)


def memory_failure(path: str, mb: int | None = None) -> Item:
    limit = f"（上限 {mb} MB）" if mb else ""
    limit_en = f" (limit {mb} MB)" if mb else ""
    return failed(path, "memory-limit", f"内存超限{limit}，已终止读取此文件：{path}",
                  f"memory limit exceeded{limit_en}; reading this file was stopped: {path}")


def timeout_failure(path: str, seconds: float) -> Item:
    return failed(path, "timeout", f"超时（{seconds:.0f} 秒内未读完），已终止读取此文件：{path}",
                  f"timed out (not read within {seconds:.0f} s); reading this file was stopped: {path}")


def crash_failure(path: str, exitcode: int | None) -> Item:
    how = f"信号 {-exitcode}" if exitcode is not None and exitcode < 0 else f"退出码 {exitcode}"
    how_en = f"signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
    return failed(path, "worker-crashed", f"读取进程异常退出（{how}），请报告此问题：{path}",
                  f"the reading process died ({how_en}); please report it: {path}")


# ---------------------------------------------------------------- the worker process

def _limit_memory(memory_mb: int | None) -> None:
    if not memory_mb:
        return
    try:
        import resource

        with open("/proc/self/statm") as fh:
            vsize = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = vsize + memory_mb * 1048576
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, OSError, ValueError):  # not Linux: no address-space limit
        pass


def _die_with_parent() -> None:
    """Linux: this worker gets SIGKILL when the parent dies, so no hung worker outlives a batch."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _worker(conn: Connection, job: Job, memory_mb: int | None) -> None:
    try:
        os.setpgrp()  # its own process group: a timeout kills it and what it started
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
        _die_with_parent()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # nothing a library prints reaches the batch's standard output
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        logging.disable(logging.WARNING)  # libraries' warnings on damaged files: failures are data
        _limit_memory(memory_mb)
        done = 0
        while True:
            if done >= RECYCLE_AFTER:
                os._exit(_RECYCLED)
            try:
                task = conn.recv()
            except EOFError:
                break
            if task is None:
                break
            for idx, path in task:
                item = process_one(path, job.do_check, job.max_bytes, job.check_options)
                if item.failure is not None and item.failure.code == "memory-limit":
                    conn.send((idx, memory_failure(path, memory_mb)))
                    os._exit(_OUT_OF_MEMORY)  # start afresh after running out of memory
                if job.encode is not None and item.report is not None:
                    try:
                        item.payload = job.encode(item)
                    except MemoryError:
                        conn.send((idx, memory_failure(path, memory_mb)))
                        os._exit(_OUT_OF_MEMORY)
                    if not job.keep_report:
                        item.report = None
                conn.send((idx, item))
                done += 1
    finally:
        os._exit(0)  # no atexit handlers, no flushing of buffers inherited from the parent


def _session_groups(pid: int) -> set[int]:
    """The process groups, other than its own, of what ``pid`` started (Linux's /proc; elsewhere
    none): a worker's LibreOffice runs in a session of its own (:mod:`xxgk.readers.office`), out
    of reach of a kill of the worker's group."""
    groups: set[int] = set()
    ours = os.getpgrp()  # never this process's own group
    todo, seen = [pid], {pid}
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                with open(f"/proc/{p}/task/{t}/children") as fh:
                    kids = [int(k) for k in fh.read().split()]
            except (OSError, ValueError):
                continue
            for k in kids:
                if k in seen:
                    continue
                seen.add(k)
                todo.append(k)
                try:
                    g = os.getpgid(k)
                except OSError:
                    continue
                if g not in (pid, ours):
                    groups.add(g)
    return groups


@dataclass
class _Slot:
    proc: Any
    conn: Connection
    pending: deque[int] = field(default_factory=deque)
    since: float = 0.0


class _Pool:
    def __init__(self, jobs: int, job: Job, limits: Limits) -> None:
        methods = mp.get_all_start_methods()
        # fork: workers start in milliseconds with everything imported; the parent runs no
        # threads (the progress bar refreshes without one), so forking is safe
        self.ctx = mp.get_context("fork" if "fork" in methods else "spawn")
        self.job, self.limits = job, limits
        self.slots = [self._start() for _ in range(jobs)]

    def _start(self) -> _Slot:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        here, there = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker, args=(there, self.job, self.limits.memory_mb), daemon=True)
        proc.start()
        there.close()
        return _Slot(proc, here)

    def kill(self, slot: _Slot) -> None:
        pid = slot.proc.pid
        for group in _session_groups(pid):  # LibreOffice runs in a session of its own
            try:
                os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                target()
                break
            except (ProcessLookupError, PermissionError, AttributeError):
                continue
        slot.proc.join(5)
        slot.conn.close()

    def replace(self, slot: _Slot) -> None:
        self.kill(slot)
        self.slots[self.slots.index(slot)] = self._start()

    def close(self, kill: bool = False) -> None:
        if kill:
            for s in self.slots:
                self.kill(s)
            return
        for s in self.slots:
            try:
                s.conn.send(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 2
        for s in self.slots:
            s.proc.join(max(0.0, deadline - time.monotonic()))
            if s.proc.is_alive():
                self.kill(s)
            else:
                s.conn.close()


def run(
    files: list[Path], *, do_check: bool = False, jobs: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES, check_options: dict[str, str] | None = None,
    on_done: Callable[[Item], None] | None = None, limits: Limits | None = None,
    encode: Callable[[Item], bytes] | None = None, keep_report: bool = True,
) -> Iterator[Item]:
    """Process ``files`` on ``jobs`` worker processes (default: all cores), yielding items in
    the order of ``files`` as they are done. A document past its time limit or memory limit is
    a failure (超时 / 内存超限); the batch goes on. ``encode`` serialises each item in the worker
    (``Item.payload``); with ``keep_report=False`` the Report itself is not sent back."""
    if not files:
        return
    limits = limits or Limits()
    job = Job(do_check, max_bytes, check_options, encode, keep_report or encode is None)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(files)))
    b = _Batch(files, _Pool(jobs, job, limits), limits)
    try:
        while b.next_out < len(b.names):
            b.dispatch()
            b.collect()
            while b.next_out in b.done:
                item = b.done.pop(b.next_out)
                b.next_out += 1
                if on_done:
                    on_done(item)
                yield item
    finally:  # all done: workers leave; stopped early (Ctrl-C, an error): workers are killed
        b.pool.close(kill=b.next_out < len(b.names))


class _Batch:
    def __init__(self, files: list[Path], pool: _Pool, limits: Limits) -> None:
        self.names = [str(f) for f in files]
        self.sizes = []
        for f in files:
            try:
                self.sizes.append(f.stat().st_size)
            except OSError:
                self.sizes.append(0)
        self.pool, self.limits = pool, limits
        self.todo: deque[int] = deque(range(len(files)))
        self.done: dict[int, Item] = {}
        self.converted: dict[int, bool] = {}
        self.next_out = 0

    def dispatch(self) -> None:
        """Give idle workers a few paths each, never running more than WINDOW past the output."""
        chunk = max(1, min(16, len(self.todo) // (len(self.pool.slots) * 4)))
        now = time.monotonic()
        for slot in self.pool.slots:
            if slot.pending or not self.todo:
                continue
            task = []
            while self.todo and len(task) < chunk and self.todo[0] < self.next_out + WINDOW:
                task.append(self.todo.popleft())
            if not task:
                return
            try:
                slot.conn.send([(i, self.names[i]) for i in task])
            except (OSError, ValueError):  # the worker died between tasks: start another
                self.todo.extendleft(reversed(task))
                self.pool.replace(slot)
                continue
            slot.pending.extend(task)
            slot.since = now

    def seconds(self, idx: int) -> float:
        """The time limit of document ``idx`` (longer for a file LibreOffice must convert)."""
        if idx not in self.converted:
            try:
                with open(self.names[idx], "rb") as fh:
                    head = fh.read(8)
            except OSError:
                head = b""
            self.converted[idx] = head.startswith((b"\xd0\xcf\x11\xe0", b"{\\rtf"))
        return self.limits.seconds(self.sizes[idx], self.converted[idx])

    def deadline(self, slot: _Slot) -> float:
        return slot.since + self.seconds(slot.pending[0])

    def collect(self) -> None:
        """Wait for results, a worker's death or the first deadline, and handle what came."""
        busy = [s for s in self.pool.slots if s.pending]
        if not busy:
            return
        timeout = max(0.0, min(self.deadline(s) for s in busy) - time.monotonic())
        ready = set(wait([s.conn for s in busy] + [s.proc.sentinel for s in busy], timeout))
        for slot in busy:
            if slot.conn in ready or slot.proc.sentinel in ready:
                self._receive(slot)
        now = time.monotonic()
        for slot in list(self.pool.slots):
            if slot.pending and now >= self.deadline(slot):
                idx = slot.pending.popleft()
                self.done[idx] = timeout_failure(self.names[idx], self.seconds(idx))
                self._restart(slot)

    def _receive(self, slot: _Slot) -> None:
        eof = False
        try:
            while slot.pending and slot.conn.poll():
                idx, item = slot.conn.recv()
                self.done[idx] = item
                slot.pending.remove(idx)
                slot.since = time.monotonic()
        except (EOFError, OSError):
            eof = True
        if not eof and slot.proc.is_alive():
            return
        slot.proc.join(5)
        code = slot.proc.exitcode
        if slot.pending and code not in (_OUT_OF_MEMORY, _RECYCLED):  # those left between documents
            # the worker died in the middle of a document: that document fails, the rest go on
            idx = slot.pending.popleft()
            self.done[idx] = (memory_failure(self.names[idx], self.limits.memory_mb) if code == -signal.SIGKILL
                              else crash_failure(self.names[idx], code))
        self._restart(slot)

    def _restart(self, slot: _Slot) -> None:
        """Requeue the documents the worker had not reached, and replace it."""
        self.todo.extendleft(reversed(slot.pending))
        slot.pending.clear()
        self.pool.replace(slot)
