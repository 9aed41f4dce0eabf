"""Benchmark: how exactly xxgk reads reports published the way agencies publish them.

    python bench/bench_layouts.py [--n 30] [--family word-pdf --family cms-html] [--seed 1]
                                  [--cache bench/.cache] [--dump-failures DIR] [--timeout 60]

For each family of ``xxgk.gen`` (Word PDFs, DOCX, CMS pages, converters' Markdown, copied text):
generate N samples (cached as files in ``--cache``, default ``bench/.cache/``), read each with
``xxgk.parse_bytes`` and compare ``report.cells`` / ``report.provenance`` with the truth:

* exact non-zero: cells the report prints as a non-zero number, read exactly;
* exact: every cell that must be read exactly (not ``missing`` / ``undetermined``);
* silent wrong: a value given that differs from what is printed, or any value where the truth is
  undetermined or the row is missing (the reader must give null there);
* ambiguous: cells the reader left open with candidates (provenance status ``ambiguous``);
* failed: files the reader refused (XxgkError) or did not finish within ``--timeout`` seconds;
* reports/s: reading speed (parse only), one process.

``--dump-failures DIR`` writes every sample with a wrong cell: the file itself and
``NAME.json`` (its truth, features and each wrong cell: truth, got, status), so the reader's
engineer can reproduce it with ``xxgk parse DIR/NAME.pdf``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import xxgk  # noqa: E402
from xxgk.errors import XxgkError  # noqa: E402
from xxgk.gen import Sample, families, make  # noqa: E402


def load_or_make(family: str, n: int, seed: int, cache: Path) -> list[Sample]:
    folder = cache / f"{family}-n{n}-s{seed}"
    index = folder / "index.json"
    if index.exists():
        out = []
        for meta in json.loads(index.read_text("utf-8")):
            data = (folder / meta.pop("file")).read_bytes()
            meta["features"] = tuple(meta["features"])
            out.append(Sample(data=data, **meta))
        return out
    samples = make(family, n, seed, workdir=None)
    folder.mkdir(parents=True, exist_ok=True)
    metas = []
    for s in samples:
        fname = f"{s.name}.{s.suffix}"
        (folder / fname).write_bytes(s.data)
        meta = {k: v for k, v in asdict(s).items() if k != "data"}
        meta["file"] = fname
        metas.append(meta)
    index.write_text(json.dumps(metas, ensure_ascii=False, indent=1), "utf-8")
    return samples


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout


def read(s: Sample, timeout: float) -> tuple[xxgk.Report | None, str | None, float]:
    """The report, or why it could not be read; seconds taken."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    t0 = time.perf_counter()
    try:
        return xxgk.parse_bytes(s.data, name=f"{s.name}.{s.suffix}"), None, time.perf_counter() - t0
    except _Timeout:
        return None, f"timeout>{timeout:g}s", time.perf_counter() - t0
    except XxgkError as e:
        return None, f"{e.code}: {e.message_en}", time.perf_counter() - t0
    except Exception as e:  # noqa: BLE001 - a crash of the reader is a finding, not a stop
        return None, f"crash: {type(e).__name__}: {e}", time.perf_counter() - t0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) < 1e-9  # type: ignore[arg-type]


def score(s: Sample, report: xxgk.Report | None) -> tuple[dict[str, int], list[dict[str, object]]]:
    """Counts for one sample, and its wrong cells."""
    c = {"nonzero": 0, "nonzero_ok": 0, "cells": 0, "ok": 0, "silent": 0, "ambiguous": 0}
    wrong: list[dict[str, object]] = []
    for cid, truth in s.cells.items():
        expect = s.expect.get(cid)
        got = report.cells.get(cid) if report else None
        info = report.provenance.get(cid) if report else None
        status = info.status if info else None
        if status == "ambiguous":
            c["ambiguous"] += 1
        if expect is None:
            c["cells"] += 1
            ok = same(got, truth)
            c["ok"] += ok
            if truth not in (None, 0):
                c["nonzero"] += 1
                c["nonzero_ok"] += ok
            if not ok:
                silent = got is not None
                c["silent"] += silent
                wrong.append({"cell": cid, "truth": truth, "got": got, "status": status,
                              "kind": "wrong-value" if silent else "not-read"})
        elif got is not None:
            c["silent"] += 1
            wrong.append({"cell": cid, "truth": truth, "got": got, "status": status,
                          "kind": f"value-where-{expect}"})
    return c, wrong


def bench_family(family: str, n: int, seed: int, cache: Path, timeout: float,
                 dump: Path | None) -> tuple[dict[str, object], list[tuple[str, dict[str, object]]]]:
    samples = load_or_make(family, n, seed, cache)
    tot = {"nonzero": 0, "nonzero_ok": 0, "cells": 0, "ok": 0, "silent": 0, "ambiguous": 0}
    failed = 0
    seconds = 0.0
    examples: list[tuple[str, dict[str, object]]] = []
    kinds: dict[str, int] = {}
    by_feature: dict[str, list[float]] = {}
    for s in samples:
        report, error, dt = read(s, timeout)
        seconds += dt
        failed += error is not None
        counts, wrong = score(s, report)
        for k, v in counts.items():
            tot[k] += v
        for w in wrong:
            kinds[str(w["kind"])] = kinds.get(str(w["kind"]), 0) + 1
        for f in s.features:
            by_feature.setdefault(f, []).append(counts["ok"] / counts["cells"] if counts["cells"] else 1.0)
        if error:
            kinds["failed"] = kinds.get("failed", 0) + 1
            examples.append((s.name, {"cell": "*", "truth": "", "got": error, "kind": "failed"}))
        # silent errors first: they are what the reader must never do
        wrong.sort(key=lambda w: (w["kind"] == "not-read", str(w["cell"])))
        examples += [(s.name, w) for w in wrong[:3]]
        if dump is not None and (wrong or error):
            dump.mkdir(parents=True, exist_ok=True)
            (dump / f"{s.name}.{s.suffix}").write_bytes(s.data)
            meta = {k: v for k, v in asdict(s).items() if k != "data"}
            meta["error"] = error
            meta["wrong"] = wrong
            (dump / f"{s.name}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    row = {
        "family": family, "samples": len(samples), "failed": failed,
        "nonzero": tot["nonzero"], "nonzero_ok": tot["nonzero_ok"], "cells": tot["cells"], "ok": tot["ok"],
        "silent": tot["silent"], "ambiguous": tot["ambiguous"],
        "rate": len(samples) / seconds if seconds else 0.0,
        "kinds": kinds,
        # features with the lowest share of exact cells (at least 2 samples), worst first
        "worst": sorted(((f, sum(v) / len(v), len(v)) for f, v in by_feature.items() if len(v) >= 2),
                        key=lambda t: t[1])[:5],
    }
    return row, examples


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "–"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--family", action="append", choices=families())
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cache", type=Path, default=ROOT / "bench" / ".cache")
    ap.add_argument("--dump-failures", type=Path, default=None)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds allowed to read one file")
    ap.add_argument("--examples", type=int, default=3, help="wrong cells shown per family")
    args = ap.parse_args(argv)
    fams = args.family or families()
    rows = []
    all_examples: dict[str, list[tuple[str, dict[str, object]]]] = {}
    for fam in fams:
        try:
            row, ex = bench_family(fam, args.n, args.seed, args.cache, args.timeout, args.dump_failures)
        except XxgkError as e:
            print(f"{fam}: {e}", file=sys.stderr)
            continue
        rows.append(row)
        all_examples[fam] = ex
        print(f"{fam}: done", file=sys.stderr, flush=True)
    print("| family | samples | failed | exact non-zero cells | exact cells | silent wrong | ambiguous | reports/s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['family']} | {r['samples']} | {r['failed']} | {r['nonzero_ok']}/{r['nonzero']} "
              f"({_pct(r['nonzero_ok'], r['nonzero'])}) | {r['ok']}/{r['cells']} ({_pct(r['ok'], r['cells'])}) "
              f"| {r['silent']} | {r['ambiguous']} | {r['rate']:.1f} |")
    print()
    for r in rows:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(r["kinds"].items(), key=lambda kv: -kv[1]))  # type: ignore[attr-defined]
        worst = ", ".join(f"{f} {100 * p:.0f}% ({n})" for f, p, n in r["worst"])  # type: ignore[attr-defined]
        print(f"- **{r['family']}** — wrong cells by kind: {kinds or 'none'}; features with the fewest exact cells: {worst}")
    if args.examples:
        print()
        for fam, ex in all_examples.items():
            # silent errors and failures first, one example per sample
            ex = sorted(ex, key=lambda t: t[1]["kind"] == "not-read")
            seen: set[str] = set()
            for name, w in ex:
                if len(seen) >= args.examples:
                    break
                if name in seen:
                    continue
                seen.add(name)
                print(f"- {fam}: `{name}` {w['cell']}: truth {w['truth']!r}, got {w['got']!r} ({w['kind']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
