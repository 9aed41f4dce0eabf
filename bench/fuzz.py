"""A fuzz campaign over every reader.

    python bench/fuzz.py --files 10000 --out /tmp/xxgk-fuzz      # the long run; Markdown table
    python bench/fuzz.py --files 300 --seed 1                     # a short one

The five seeds (tests/fixtures/seeds) are written in every format xxgk reads: text in UTF-8,
UTF-8 with BOM, GB18030 and UTF-16, Markdown, HTML (UTF-8 and GB2312-labelled), DOCX, XLSX and
PDF (``xxgk.writers.render`` from each seed's truth). Each file is then damaged by a mutator of
bench/fuzz_mutators.py (generic byte damage, ZIP and XML damage, HTML bombs, digit runs, odd
XLSX values, hostile PDFs) and read by ``xxgk.parse`` in a worker process under a time limit
(10 s) and a memory limit (1 GB of address space) — xxgk's own batch runner, whose watchdog
kills a worker that runs past either. The campaign counts, per format and per mutator:
files, read, refused with a one-line XxgkError, **tracebacks** (any other exception, or a
reader process that died), **over the time limit**, **over the memory limit**; and saves every
failing file with its reason under ``OUT/failures/``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import fuzz_mutators as mut  # noqa: E402

from xxgk import batch  # noqa: E402

SEEDS = ROOT / "tests" / "fixtures" / "seeds"
TIME_LIMIT = 10.0
MEMORY_MB = 1024
EXT = {"txt-utf8": "txt", "txt-utf8-bom": "txt", "txt-gb18030": "txt", "txt-utf16": "txt", "md": "md",
       "html": "html", "html-gb2312": "html", "docx": "docx", "xlsx": "xlsx", "pdf": "pdf"}
ENCODING = {"txt-utf8": "utf-8", "txt-utf8-bom": "utf-8-sig", "txt-gb18030": "gb18030", "txt-utf16": "utf-16",
            "md": "utf-8", "html": "utf-8", "html-gb2312": "gb18030"}
FORMATS = list(EXT)


def bases(formats: list[str] | None = None, seeds: list[str] | None = None,
          cache: Path | None = None) -> dict[str, list[bytes]]:
    """Each seed written in each format (rendered files are cached in ``cache``)."""
    import xxgk
    from xxgk.writers import render

    formats = formats or FORMATS
    names = seeds or sorted(p.stem for p in SEEDS.glob("*.txt"))
    out: dict[str, list[bytes]] = defaultdict(list)
    for name in names:
        text = (SEEDS / f"{name}.txt").read_text("utf-8")
        truth = json.loads((SEEDS / f"{name}.json").read_text("utf-8"))
        report = None
        for fmt in formats:
            if fmt.startswith("txt"):
                out[fmt].append(text.encode(ENCODING[fmt]))
                continue
            cached = cache / f"{name}.{fmt}" if cache else None
            if cached and cached.exists():
                out[fmt].append(cached.read_bytes())
                continue
            if report is None:
                parsed = xxgk.parse(SEEDS / f"{name}.txt")
                report = parsed.model_copy(update={"cells": dict(truth["cells"]), "ambiguous": {}})
            to = {"html-gb2312": "html"}.get(fmt, fmt)
            data = render(report, to, force=True)
            if fmt == "html-gb2312":
                data = data.decode("utf-8").replace('charset="utf-8"', 'charset="gb2312"').encode("gb18030", "replace")
            if cached:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_bytes(data)
            out[fmt].append(data)
    return dict(out)


def mutators(fmt: str) -> dict[str, mut.Mutator]:
    """The mutators that apply to a format."""
    out = dict(mut.GENERIC)
    enc = ENCODING.get(fmt)
    if fmt.startswith(("txt", "md")):
        out.update({k: partial(f, encoding=enc) for k, f in mut.TEXT.items()})
    if fmt.startswith("html"):
        out.update(mut.HTML)
        out.update({k: partial(f, encoding=enc) for k, f in mut.TEXT.items()})
    if fmt in ("docx", "xlsx"):
        out.update(mut.ZIP)
        out.update(mut.DOCX if fmt == "docx" else mut.XLSX)
    if fmt == "pdf":
        out.update(mut.PDF)
    return out


@dataclass
class Result:
    files: Counter[str] = field(default_factory=Counter)
    outcome: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_mutator: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # file, outcome, reason
    seconds: float = 0.0

    def count(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.outcome.values())


def outcome(item: batch.Item) -> str:
    """read | refused | traceback | timeout | memory"""
    if item.failure is None:
        return "read"
    code = item.failure.code
    if code in ("internal-error", "worker-crashed"):
        return "traceback"
    return {"timeout": "timeout", "memory-limit": "memory"}.get(code, "refused")


def generate(n: int, seed: int, folder: Path, base: dict[str, list[bytes]],
             only: Callable[[str, str], bool] | None = None) -> list[tuple[Path, str, str]]:
    """``n`` mutated files in ``folder``: (path, format, mutator), formats in turn."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    formats = sorted(base)
    out = []
    i = 0
    while len(out) < n:
        fmt = formats[i % len(formats)]
        i += 1
        muts = {k: f for k, f in mutators(fmt).items() if only is None or only(fmt, k)}
        if not muts:
            if i > 100 * len(formats) and not out:
                break
            continue
        name = rng.choice(sorted(muts))
        data = rng.choice(base[fmt])
        try:
            damaged = muts[name](rng, data)
        except (ValueError, IndexError, StopIteration):  # a mutator that does not apply to this file
            continue
        p = folder / f"{len(out):05d}-{fmt}-{name}.{EXT[fmt]}"
        p.write_bytes(damaged)
        out.append((p, fmt, name))
    return out


def campaign(files: list[tuple[Path, str, str]], jobs: int, out: Path | None = None,
             time_limit: float = TIME_LIMIT, memory_mb: int = MEMORY_MB) -> Result:
    res = Result()
    meta = {str(p): (fmt, m) for p, fmt, m in files}
    t0 = time.perf_counter()
    for item in batch.run([p for p, _, _ in files], jobs=jobs, max_bytes=200 * 1048576,
                          limits=batch.Limits(timeout=time_limit, memory_mb=memory_mb),
                          encode=_nothing, keep_report=False):
        fmt, m = meta[item.path]
        o = outcome(item)
        res.files[fmt] += 1
        res.outcome[fmt][o] += 1
        res.by_mutator[m][o] += 1
        if o in ("traceback", "timeout", "memory"):
            assert item.failure is not None
            res.failures.append((item.path, o, item.failure.message_en))
            if out is not None:
                dest = out / "failures" / o
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy(item.path, dest / Path(item.path).name)
                (dest / (Path(item.path).name + ".reason.txt")).write_text(item.failure.message_en + "\n", "utf-8")
    res.seconds = time.perf_counter() - t0
    return res


def _nothing(item: batch.Item) -> bytes:
    """Send nothing of a report back: the campaign only needs its outcome."""
    return b""


COLUMNS = ["read", "refused", "traceback", "timeout", "memory"]


def markdown(res: Result) -> str:
    head = ("| format | files | read | refused (XxgkError) | tracebacks | over "
            f"{TIME_LIMIT:.0f} s | over {MEMORY_MB // 1024} GB |\n|---|---|---|---|---|---|---|\n")
    rows = [f"| {fmt} | {res.files[fmt]} | " + " | ".join(str(res.outcome[fmt][c]) for c in COLUMNS) + " |"
            for fmt in sorted(res.files)]
    total = f"| **all** | {sum(res.files.values())} | " + " | ".join(str(res.count(c)) for c in COLUMNS) + " |"
    by_mut = ["", "| mutator | files | " + " | ".join(COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
    by_mut += [f"| {m} | {sum(c.values())} | " + " | ".join(str(c[k]) for k in COLUMNS) + " |"
               for m, c in sorted(res.by_mutator.items())]
    return head + "\n".join(rows + [total] + by_mut) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=Path("/tmp/xxgk-fuzz"))
    ap.add_argument("--formats", nargs="*", default=FORMATS)
    args = ap.parse_args()
    base = bases(args.formats, cache=args.out / "bases")
    files = generate(args.files, args.seed, args.out / f"files-{args.seed}", base)
    res = campaign(files, args.jobs, args.out)
    print(f"Fuzz campaign, seed {args.seed}: {len(files)} mutated files, {res.seconds:.0f} s on {args.jobs} "
          f"processes (limits: {TIME_LIMIT:.0f} s and {MEMORY_MB} MB a file)\n")
    print(markdown(res))
    for path, o, reason in res.failures:
        print(f"- {o}: {Path(path).name}: {reason}")


if __name__ == "__main__":
    main()
