"""Copied text (雷同): a part nearly identical to another agency's, or to the agency's own earlier year.

How, and why so:

1. **Normalise.** Only letters are kept (Chinese characters and Latin letters): white space,
   punctuation and digits go. Numbers change from year to year and agency to agency, so a text
   copied with new numbers is still the same text. Every kept character remembers where it was,
   so shared passages are shown as the report prints them.
2. **Drop the template's words.** Every label of both templates (part and table titles, row and
   column labels and their variants, 4 characters or longer) is cut out, so the tables printed
   inside a part leave almost nothing; no shingle spans a cut.
3. **Shingle.** The character 12-grams of what is left (Chinese has no spaces between words;
   shorter shingles make two texts built of the same stock phrases look alike, measured on the
   synthetic country, where 5-grams found 1 of 12 injected copies and 12-grams all 12).
4. **Drop boilerplate.** A shingle found in at least ``boilerplate_share`` of the parts of the
   same kind (and in at least ``boilerplate_min_docs`` of them) is phrasing everyone uses (套话,
   or a text the supervisor handed round), not copying; this filter runs only when there are at
   least ``boilerplate_min_corpus`` such parts, since in a small corpus two is already a share.
5. **Skip short parts.** Fewer than ``min_chars`` letters after step 2, or fewer than
   ``min_shingles`` shingles after step 4: too little text to call a copy.
6. **Candidates** from datasketch's MinHash LSH (near-linear: each part is hashed once and only
   colliding parts are compared, ``lsh_threshold`` set below the thresholds that flag), **verified**
   by the exact Jaccard similarity of the shingle sets: flagged at ``copy_threshold`` (another
   agency) or ``reuse_threshold`` (the same agency), or when ``containment_threshold`` of the
   shorter part's shingles are in the longer one (a text copied and added to: the common case).
7. **Shared passages**: the longest common runs of the two normalised texts
   (``difflib.SequenceMatcher``), shown from the flagged report's own text, capped in length.

Who is flagged: two agencies in the same year, both (who copied whom is not known); across
years, only the later report (a report cannot copy a later one). Severities: another agency's text
(Jaccard ≥ ``copy_threshold``) → ``corpus-text-copied`` (warning); the same agency's earlier year
nearly verbatim (≥ ``reuse_threshold``) → ``corpus-text-reused`` (info: an agency restating its own
standing text is no fault by itself) except for 存在的主要问题及改进情况, where the same problems and
the same plans as last year are what evaluators mark down → ``corpus-problems-reused`` (warning).
Two reports of one agency and one year (versions) are not compared. A text copied whole into a much
longer one (Jaccard below ``lsh_threshold``) is not a candidate and is not found: LSH searches by
Jaccard similarity, not containment.
"""

from __future__ import annotations

import re
import zlib
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache

import numpy as np
from datasketch import MinHash, MinHashLSH

from xxgk.corpus.checks import finding
from xxgk.corpus.types import CorpusFinding, ReportEntry
from xxgk.template import load_template, template_ids

__all__ = ["CopySettings", "Match", "Normalised", "copies", "normalise", "shared_passages", "similar_parts"]

_LETTERS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class CopySettings:
    shingle: int = 12  # letters: long enough that shared stock phrases (套话) do not make two texts alike
    num_perm: int = 128
    lsh_threshold: float = 0.5  # candidates: LSH's estimated Jaccard; below the verified thresholds
    copy_threshold: float = 0.6  # verified Jaccard for another agency's text
    reuse_threshold: float = 0.7  # verified Jaccard for the same agency's earlier year
    containment_threshold: float = 0.9  # or: this share of the shorter part is in the longer one
    min_chars: int = 80
    min_shingles: int = 30
    boilerplate_share: float = 0.2
    boilerplate_min_docs: int = 10
    boilerplate_min_corpus: int = 40
    max_matches: int = 5  # matches listed per flagged part (the most similar)
    max_passages: int = 3
    min_passage: int = 12  # letters
    passage_chars: int = 120
    max_compare_chars: int = 6000  # letters given to difflib per text (its cost is quadratic at worst)


@dataclass(frozen=True)
class Normalised:
    """A text's letters only, with the source offset of each run of letters."""

    text: str
    starts: tuple[int, ...]  # start of each run in ``text``
    origins: tuple[int, ...]  # start of the same run in the source

    def source(self, i: int) -> int:
        k = bisect_right(self.starts, i) - 1
        return self.origins[k] + (i - self.starts[k]) if k >= 0 else 0


def normalise(text: str) -> Normalised:
    """Letters only (module docstring, step 1)."""
    runs = list(_LETTERS.finditer(text))
    starts, pos = [], 0
    for m in runs:
        starts.append(pos)
        pos += m.end() - m.start()
    return Normalised("".join(m.group() for m in runs), tuple(starts), tuple(m.start() for m in runs))


@cache
def _labels() -> re.Pattern[str]:
    """Every label of both templates, normalised, longest first (step 2)."""
    words: set[str] = set()
    for tid in template_ids():
        t = load_template(tid)
        for p in t.parts:
            words.add(p.title)
        for table in t.tables:
            words.add(table.title)
            for b in table.blocks:
                for lab in [b.heading, b.corner] + [c.label for c in b.columns] + [r.label for r in b.rows]:
                    if lab is not None:
                        words.add(lab.text)
                        words.update(v.text for v in lab.variants)
                for g in b.column_groups:
                    words.add(str(g.get("label", "")))
    forms = {normalise(w).text for w in words}
    forms = sorted((f for f in forms if len(f) >= 4), key=lambda f: (-len(f), f))
    return re.compile("|".join(map(re.escape, forms)))


def _segments(norm: str) -> list[str]:
    out, pos = [], 0
    for m in _labels().finditer(norm):
        out.append(norm[pos:m.start()])
        pos = m.end()
    out.append(norm[pos:])
    return [s for s in out if s]


def _shingles(segments: list[str], k: int) -> np.ndarray:
    grams = {s[i:i + k] for s in segments for i in range(len(s) - k + 1)}
    return np.unique(np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint32,
                                 count=len(grams)))


@dataclass
class _Doc:
    entry: ReportEntry
    part: str
    norm: Normalised
    shingles: np.ndarray


@dataclass(frozen=True)
class Match:
    """Two parts found nearly identical (exact Jaccard of their shingles)."""

    a: int  # indices into the list given to similar_parts
    b: int
    similarity: float
    containment: float  # shared shingles / the smaller part's


def _prepare(entries: Iterable[ReportEntry], s: CopySettings) -> dict[str, list[_Doc]]:
    by_part: dict[str, list[_Doc]] = defaultdict(list)
    for e in entries:
        for key, text in e.parts.items():
            if not text:
                continue
            norm = normalise(text)
            segs = _segments(norm.text)
            if sum(len(x) for x in segs) < s.min_chars:
                continue
            by_part[key].append(_Doc(e, key, norm, _shingles(segs, s.shingle)))
    return by_part


def _drop_boilerplate(docs: list[_Doc], s: CopySettings) -> None:
    if len(docs) < s.boilerplate_min_corpus:
        return
    values, counts = np.unique(np.concatenate([d.shingles for d in docs]), return_counts=True)
    common = values[counts >= max(s.boilerplate_min_docs, s.boilerplate_share * len(docs))]
    if len(common):
        for d in docs:
            d.shingles = d.shingles[~np.isin(d.shingles, common, assume_unique=True)]


def similar_parts(shingle_sets: list[np.ndarray], s: CopySettings, threshold: float) -> list[Match]:
    """Pairs of sets (sorted unique uint32 arrays) whose exact Jaccard similarity is ≥ ``threshold``,
    found through MinHash LSH. Near-linear in the number of sets when few of them are alike."""
    lsh = MinHashLSH(threshold=s.lsh_threshold, num_perm=s.num_perm)
    sketches = list(MinHash.generator((x.tolist() for x in shingle_sets), num_perm=s.num_perm,
                                      hashfunc=_identity))
    with lsh.insertion_session() as session:
        for i, m in enumerate(sketches):
            session.insert(i, m, check_duplication=False)
    out: list[Match] = []
    for i, m in enumerate(sketches):
        for j in lsh.query(m):
            if j <= i:
                continue
            a, b = shingle_sets[i], shingle_sets[j]
            inter = len(np.intersect1d(a, b, assume_unique=True))
            union = len(a) + len(b) - inter
            sim = inter / union if union else 0.0
            if sim >= threshold:
                out.append(Match(i, int(j), sim, inter / min(len(a), len(b)) if min(len(a), len(b)) else 0.0))
    return out


def _identity(x: int) -> int:
    return x


def shared_passages(a: Normalised, source_a: str, b: Normalised, s: CopySettings) -> list[str]:
    """The longest runs the two texts share, as ``a``'s source prints them, in ``a``'s order."""
    x, y = a.text[:s.max_compare_chars], b.text[:s.max_compare_chars]
    matcher = SequenceMatcher(None, x, y, autojunk=False)
    blocks = [m for m in matcher.get_matching_blocks() if m.size >= s.min_passage]
    blocks = sorted(sorted(blocks, key=lambda m: -m.size)[:s.max_passages], key=lambda m: m.a)
    out = []
    for m in blocks:
        start, end = a.source(m.a), a.source(m.a + m.size - 1) + 1
        text = re.sub(r"\s+", " ", source_a[start:end]).strip()
        out.append(text if len(text) <= s.passage_chars else text[:s.passage_chars - 1] + "…")
    return out


def _part_title(key: str) -> str:
    try:
        return load_template("2021").part(key).title
    except KeyError:
        return key


def _relation(x: _Doc, y: _Doc) -> tuple[str, list[_Doc]] | None:
    """("reuse" | "copy", the docs flagged) for a verified pair, or None when not compared."""
    ex, ey = x.entry, y.entry
    same_agency = ex.agency is not None and ex.agency == ey.agency
    if same_agency and ex.year == ey.year:
        return None  # versions of one report
    if ex.year is not None and ey.year is not None and ex.year != ey.year:
        later = [x if ex.year > ey.year else y]
        return ("reuse" if same_agency else "copy"), later
    return "copy", [x, y]


def copies(entries: Iterable[ReportEntry], *, year: int | None = None,
           settings: CopySettings | None = None) -> list[CorpusFinding]:
    """Copied and reused parts (module docstring); ``year``: flag only that year's reports."""
    s = settings or CopySettings()
    found: dict[tuple[int, str], list[tuple[float, float, _Doc]]] = defaultdict(list)
    docs_of: dict[int, _Doc] = {}
    for docs in _prepare(entries, s).values():
        _drop_boilerplate(docs, s)
        docs = [d for d in docs if len(d.shingles) >= s.min_shingles]
        for m in similar_parts([d.shingles for d in docs], s, s.lsh_threshold):
            x, y = docs[m.a], docs[m.b]
            rel = _relation(x, y)
            if rel is None:
                continue
            kind, flagged = rel
            threshold = s.reuse_threshold if kind == "reuse" else s.copy_threshold
            if m.similarity < threshold and m.containment < s.containment_threshold:
                continue
            for d in flagged:
                if year is not None and d.entry.year != year:
                    continue
                other = y if d is x else x
                docs_of[id(d)] = d
                found[(id(d), kind)].append((m.similarity, m.containment, other))
    out: list[CorpusFinding] = []
    for (doc_id, kind), matches in found.items():
        out.append(_finding(docs_of[doc_id], kind, matches, s))
    return out


def _finding(d: _Doc, kind: str, matches: list[tuple[float, float, _Doc]], s: CopySettings) -> CorpusFinding:
    matches.sort(key=lambda m: (-m[0], m[2].entry.id))
    shown = matches[:s.max_matches]
    title = _part_title(d.part)
    listed = []
    for sim, cont, o in shown:
        listed.append({
            "report": o.entry.id, "agency": o.entry.agency, "year": o.entry.year,
            "similarity": round(sim, 3), "containment": round(cont, 3),
            "passages": shared_passages(d.norm, d.entry.parts[d.part], o.norm, s),
        })
    best_sim, best_cont, best = shown[0]
    how = f"相似度{best_sim:.0%}，重合度{best_cont:.0%}"
    how_en = f"similarity {best_sim:.0%}, containment {best_cont:.0%}"
    who = f"机关{best.entry.agency}的" if best.entry.agency else "未匹配机关的"
    more = f"；另有{len(matches) - 1}份报告相似" if len(matches) > 1 else ""
    more_en = f"; {len(matches) - 1} more alike" if len(matches) > 1 else ""
    passage = listed[0]["passages"]
    first = str(passage[0]) if passage else ""  # type: ignore[index]
    quote = f"。相同段落如：“{first[:40]}{'…' if len(first) > 40 else ''}”" if first else ""
    detail: dict[str, object] = {
        "part": d.part, "part_zh": title, "matches": listed, "matches_total": len(matches),
        "measure": f"similarity: Jaccard of character {s.shingle}-grams (letters only, template words and "
                   "boilerplate removed); containment (重合度): the share of the shorter part's in the other",
        "threshold": s.reuse_threshold if kind == "reuse" else s.copy_threshold,
        "containment_threshold": s.containment_threshold,
    }
    if kind == "copy":
        return finding(
            "corpus-text-copied",
            f"“{title}”部分与{who}{best.entry.year or ''}年报告（{best.entry.id}）高度雷同（{how}）{more}{quote}",
            f"part {d.part} is nearly identical to the {best.entry.year} report {best.entry.id} of agency "
            f"{best.entry.agency} ({how_en}){more_en}",
            d.entry, others=[m["report"] for m in listed], detail=detail)  # type: ignore[misc]
    code = "corpus-problems-reused" if d.part == "problems" else "corpus-text-reused"
    return finding(
        code,
        f"“{title}”部分与本机关{best.entry.year}年报告（{best.entry.id}）基本相同（{how}）{quote}",
        f"part {d.part} is nearly the same as the agency's own {best.entry.year} report {best.entry.id} "
        f"({how_en})",
        d.entry, others=[m["report"] for m in listed], detail=detail)  # type: ignore[misc]
