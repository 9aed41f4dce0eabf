"""Ingest at scale: many reports read on all cores, or on a Dask cluster, stored resumably.

One code path, local or distributed: a ``dask.distributed.Client`` on the scheduler given (or
``$DASK_SCHEDULER_ADDRESS``), else on a ``LocalCluster`` of one single-threaded worker process per
core (parsing is pure Python). This process (the client) enumerates the sources, reads each
document's bytes, hashes them and skips those already stored *before* sending any work; it sends
batches of documents **as bytes** (workers need no shared file system, and a batch lost with its
worker is rescheduled from the scheduler's copy), keeps a bounded window of batches in flight,
and writes each batch's results in one transaction as it comes back (``as_completed``).

What can go wrong, and what happens:

- a document that cannot be read, or runs past its time limit, or exhausts its memory: a failure
  row (file, code, reason in Chinese and English); the batch goes on (:mod:`xxgk.corpus.worker`);
- a worker killed: Dask reschedules its batches on the others (no retry on exceptions: none
  escape a task). A batch that kills worker after worker (``KilledWorker``) is split into single
  documents tried one at a time, alone; the one that still kills its worker is listed as a
  failure (读取进程反复异常退出);
- this process killed (kill -9) at any point: batches written are whole, the one being written
  is rolled back; rerun, the stored documents are skipped and the rest read: every report stored
  exactly once. The same bytes twice (two paths, two runs) are stored once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError

from xxgk.batch import DEFAULT_MEMORY_MB
from xxgk.corpus.digest import Digest
from xxgk.corpus.sources import Ref, SourceReader, enumerate_sources
from xxgk.corpus.store import CorpusStore, FailureRecord
from xxgk.corpus.types import AgencyRecord, Match
from xxgk.errors import XxgkError
from xxgk.readers import DEFAULT_MAX_BYTES

DEFAULT_BATCH = 32  # documents per task: a task costs the scheduler ~1 ms, a text report ~5 ms to read
BATCH_BYTES = 8 * 1024 * 1024  # a batch is closed at this many bytes (Dask warns of larger graphs)
WINDOW_PER_THREAD = 3  # batches in flight per worker thread: workers never wait, memory stays bounded

Progress = Callable[[int, int, int, "float | None"], None]  # (done, total, failures, eta seconds)


@dataclass
class IngestSummary:
    """What an ingest did (the CLI prints it; ``to_dict`` for JSON)."""

    seen: int = 0  # documents found in the sources
    stored: int = 0  # stored by this run
    skipped: int = 0  # stored before (this run or another)
    duplicates: int = 0  # the same bytes met again in this run
    new_versions: int = 0  # stored as a new version of a report already stored
    failures: list[FailureRecord] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 0
    scheduler: str = ""

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def rate(self) -> float:
        """Reports stored per second."""
        return self.stored / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["failures"] = [{k: v for k, v in asdict(f).items() if k != "at"} for f in self.failures]
        out.update(failed=self.failed, rate=round(self.rate, 2))
        return out


class NameMatcher:
    """The fallback matcher: the agency printed in the title (or signed) is one agency's name or
    alias exactly. One agency: accepted; several: pending, with the candidates; none: unmatched.
    (:mod:`xxgk.corpus.match` decides with more evidence; pass its matcher instead.)"""

    def __init__(self, agencies: Sequence[AgencyRecord]) -> None:
        self.names: dict[str, set[str]] = {}
        for a in agencies:
            for n in (a.name, *a.aliases):
                self.names.setdefault(_norm(n), set()).add(a.code)

    def __call__(self, report: Any) -> Match:
        found = []
        for method, name, score in (("title", report.agency, 1.0), ("signature", report.signature_agency, 0.9)):
            if name and _norm(name) in self.names:
                found.append((method, name, score, sorted(self.names[_norm(name)])))
        codes = sorted({c for *_, cs in found for c in cs})
        if not codes:
            return Match(None, 0.0, "none", False, reasons=("标题和落款中的机关名称均不在名录中",))
        reasons = tuple(f"{'标题' if m == 'title' else '落款'}中的机关名称“{n}”与名录一致" for m, n, _, _ in found)
        if len(codes) == 1:
            return Match(codes[0], found[0][2], found[0][0], True, ((codes[0], found[0][2]),), reasons)
        cands = tuple((c, 0.5) for c in codes)
        return Match(None, 0.5, found[0][0], False, cands, (*reasons, "名称对应多个机关，待人工确认"))


def _norm(name: str) -> str:
    return "".join(name.split())


@dataclass
class _Doc:
    ref: Ref
    sha: str
    data: bytes


@dataclass
class _Run:
    store: CorpusStore
    engine: _Engine
    summary: IngestSummary
    batch_size: int
    options: dict[str, Any]
    progress: Progress | None
    retry_failed: bool
    started: float = field(default_factory=time.monotonic)
    sent: int = 0  # documents sent to workers
    returned: int = 0  # documents back from workers
    first_sent: float | None = None
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    hashes: set[str] = field(default_factory=set)

    @property
    def done(self) -> int:
        s = self.summary
        return s.stored + s.skipped + s.duplicates + s.failed

    def report(self) -> None:
        """Call ``progress(done, total, failures, eta)``: the ETA from the pace of the documents
        read so far (None until the first batch is back)."""
        if self.progress is None:
            return
        left = self.summary.seen - self.done
        elapsed = time.monotonic() - (self.first_sent or self.started)
        eta = left * elapsed / self.returned if self.returned else None
        self.progress(self.done, self.summary.seen, self.summary.failed, eta)

    def fail(self, failures: list[FailureRecord]) -> None:
        if failures:
            self.store.store_many([], failures)
            self.summary.failures.extend(failures)

    def batches(self, refs: Iterator[Ref], reader: SourceReader) -> Iterator[list[_Doc]]:
        """Batches of documents not stored yet, read and hashed here, each hash sent once."""
        batch: list[_Doc] = []
        size = 0
        while True:
            group: list[_Doc] = []
            bad: list[FailureRecord] = []
            for ref in refs:
                try:
                    data = reader.read(ref)
                except XxgkError as e:
                    bad.append(FailureRecord(ref.source, e.code, e.message, e.message_en))
                    continue
                group.append(_Doc(ref, hashlib.sha256(data).hexdigest(), data))
                if len(group) >= self.batch_size:
                    break
            self.fail(bad)
            if not group and not bad:
                break
            known = self.store.stored(d.sha for d in group)
            if not self.retry_failed:
                known |= self.store.failed_hashes(d.sha for d in group)
            for d in group:
                if d.sha in known:
                    self.summary.skipped += 1
                elif d.sha in self.hashes:
                    self.summary.duplicates += 1
                else:
                    self.hashes.add(d.sha)
                    batch.append(d)
                    size += len(d.data)
                    if len(batch) >= self.batch_size or size >= BATCH_BYTES:
                        yield batch
                        batch, size = [], 0
            self.report()
        if batch:
            yield batch

    def submit(self, batch: list[_Doc]) -> Any:
        from xxgk.corpus.worker import read_batch

        client = self.engine.start()
        if self.first_sent is None:
            self.first_sent = time.monotonic()
        self.sent += len(batch)
        return client.submit(read_batch, [(d.ref.source, d.data) for d in batch],
                             key=f"xxgk-ingest-{self.token}-{self.sent}", pure=False, **self.options,
                             matcher=self.engine.shared)

    def finish(self, future: Any, batch: list[_Doc], quarantine: Callable[[list[_Doc]], None],
               alone: bool) -> None:
        """Write a batch's results (``alone``: a quarantined document, tried by itself)."""
        from distributed import KilledWorker

        try:
            results = future.result()
        except KilledWorker:
            if not alone:  # one of them kills its workers (or shared a worker with one that does)
                quarantine(batch)
                return
            results = [("fail", "worker-crashed", f"读取进程反复异常退出，已放弃读取此文件：{batch[0].ref.source}",
                        f"the reading process died again and again; this file was given up: {batch[0].ref.source}")]
        except Exception as e:  # noqa: BLE001 - e.g. workers without xxgk: every document says why
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            results = [("fail", "worker-error", f"工作进程出错（{type(e).__name__}: {first}）：{d.ref.source}",
                        f"worker error ({type(e).__name__}: {first}): {d.ref.source}") for d in batch]
        self.returned += len(batch)
        items: list[tuple[Digest, bytes, str]] = []
        fails: list[FailureRecord] = []
        for d, res in zip(batch, results, strict=True):
            if res[0] == "ok":
                items.append((res[1], d.data, d.ref.source))
            else:
                fails.append(FailureRecord(d.ref.source, res[1], res[2], res[3], content_hash=d.sha))
        self.write(items, fails)
        self.report()

    def write(self, items: list[tuple[Digest, bytes, str]], fails: list[FailureRecord]) -> None:
        try:
            results = self.store.store_many(items, fails)
        except (IntegrityError, XxgkError):  # another writer stored one of them, or one is refused: one by one
            results = []
            for item in items:
                try:
                    results.extend(self.store.store_many([item]))
                except (IntegrityError, XxgkError) as e:
                    zh, en = (e.message, e.message_en) if isinstance(e, XxgkError) else (
                        f"无法写入数据库：{item[2]}", f"cannot be stored: {item[2]}")
                    fails.append(FailureRecord(item[2], "store-error", zh, en, content_hash=item[0].content_hash))
            self.store.store_many([], fails)
        for r in results:
            if r.created:
                self.summary.stored += 1
                self.summary.new_versions += r.new_version
            else:
                self.summary.skipped += 1
        self.summary.failures.extend(fails)


def _same(x: Any) -> Any:
    return x


class _Engine:
    """The Dask client, started when the first batch is ready (a rerun with nothing left to read
    starts no cluster)."""

    def __init__(self, scheduler: str | None, workers: int | None, matcher: Any, summary: IngestSummary) -> None:
        self.scheduler = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
        self.workers, self.matcher, self.summary = workers, matcher, summary
        self.client: Any = None
        self.cluster: Any = None
        self.shared: Any = None
        self.window = 1

    def start(self) -> Any:
        if self.client is not None:
            return self.client
        from distributed import Client, LocalCluster

        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout="20s")
            except (OSError, TimeoutError) as e:
                raise XxgkError("scheduler", f"无法连接 Dask 调度器 {self.scheduler}：{e}",
                                f"cannot reach the Dask scheduler {self.scheduler}: {e}") from None
        else:
            import dask

            with dask.config.set({"distributed.worker.profile.enabled": False}):  # no dashboard to show it
                self.cluster = LocalCluster(n_workers=self.workers or os.cpu_count() or 1, threads_per_worker=1,
                                            processes=True, dashboard_address=None, silence_logs=logging.CRITICAL)
            self.client = Client(self.cluster)
        threads = self.client.nthreads()
        self.summary.scheduler = self.client.scheduler.address
        self.summary.workers = len(threads)
        self.window = max(2, sum(threads.values()) * WINDOW_PER_THREAD)
        if self.matcher is not None:
            # A task whose result is the matcher (not scattered data): the scheduler keeps it in the
            # graph, so a worker lost with its copy costs a recomputation, never the run.
            self.shared = self.client.submit(_same, self.matcher, key=f"xxgk-matcher-{uuid.uuid4().hex[:10]}",
                                             pure=False)
        return self.client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def ingest(sources: Iterable[str | os.PathLike[str]], url: str | None = None, *, scheduler: str | None = None,
           batch_size: int = DEFAULT_BATCH, timeout_per_doc: float | None = None,
           matcher: Callable[[Any], Match] | None = None, progress: Progress | None = None,
           workers: int | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
           memory_mb: int | None = DEFAULT_MEMORY_MB, retry_failed: bool = True) -> IngestSummary:
    """Read, check, match and store every report in ``sources`` into the corpus at ``url``.

    ``scheduler``: a Dask scheduler address (default ``$DASK_SCHEDULER_ADDRESS``; none: a local
    cluster of ``workers`` processes, default one per core). ``timeout_per_doc``: seconds a document
    may take (default: :class:`xxgk.batch.Limits`, 60 s + 5 s per MB). ``matcher``: a picklable
    callable Report -> Match run on the workers (default: exact names and aliases of the stored
    registry, if any). ``progress(done, total, failures, eta)`` is called as work completes.
    ``retry_failed=False`` skips documents that failed before."""
    summary = IngestSummary()
    started = time.monotonic()
    refs, refused = enumerate_sources(sources, max_bytes=max_bytes)
    summary.seen = len(refs) + len(refused)
    store = CorpusStore.open(url)
    try:
        if matcher is None:
            agencies = store.registry()[1]
            matcher = NameMatcher(agencies) if agencies else None
        engine = _Engine(scheduler, workers, matcher, summary)
        run = _Run(store, engine, summary, max(1, batch_size),
                   {"timeout": timeout_per_doc, "memory_mb": memory_mb}, progress, retry_failed, started)
        try:
            run.fail(refused)
            _drive(run, refs, max_bytes)
            if summary.stored:
                store.analyze()
        except DBAPIError as e:  # the database went away (disk full, server down): rerun resumes
            first = str(e.orig).strip().splitlines()[0] if str(e.orig).strip() else type(e).__name__
            raise XxgkError("database", f"写入数据库失败，已停止（重新运行即可从中断处继续）：{first}",
                            f"writing to the database failed; stopped (rerun to resume): {first}") from None
        finally:
            engine.close()
    finally:
        store.close()
    summary.seconds = time.monotonic() - started
    return summary


def _drive(run: _Run, refs: list[Ref], max_bytes: int) -> None:
    """Keep the window full, write what comes back. Documents of a batch that killed its workers
    (``KilledWorker``) are tried one at a time, alone in a quarantine lane: a document killed
    there is the culprit, never a neighbour that happened to share its worker."""
    from distributed import as_completed

    reader = SourceReader(max_bytes)
    inflight: dict[Any, list[_Doc]] = {}
    done: Any = None  # as_completed, once the client is started
    quarantine: deque[_Doc] = deque()
    suspect: list[Any] = []  # the quarantined document in flight (at most one)

    def send(batch: list[_Doc]) -> Any:
        nonlocal done
        future = run.submit(batch)
        inflight[future] = batch
        if done is None:
            done = as_completed(loop=run.engine.client.loop)
        done.add(future)
        return future

    try:
        batches = run.batches(iter(refs), reader)
        more = True
        run.report()
        while True:
            if quarantine and not suspect:
                suspect.append(send([quarantine.popleft()]))
            while more and len(inflight) < run.engine.window:
                batch = next(batches, None)
                if batch is None:
                    more = False
                else:
                    send(batch)
            if not inflight:
                break
            future = next(done)
            alone = bool(suspect) and future is suspect[0]
            if alone:
                suspect.clear()
            run.finish(future, inflight.pop(future), quarantine.extend, alone)
            future.release()
    finally:
        reader.close()
        for future in inflight:
            future.cancel()
