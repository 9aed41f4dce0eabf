"""Which agency a report is from: every printed name read against the registry, scored, decided.

A report names its agency in many ways: 三门峡市陕州区人民政府, 陕州区人民政府, 陕州区政府, 区政府, or
an older name. Each printed name (the title's, the signature's, the source path's, names in the
body) is read as a line of regions followed by a core: 三门峡市 · 陕州区 · 政府. Every agency of the
registry is indexed once under the cores of its name and aliases (人民政府 → 政府, 政府办公室 → 政府办,
办事处 → 办; its regions stripped, plus the short form 区政府 / 乡政府 / 街道办), so a printed name is
looked up, never compared with every agency.

Scores (each piece of evidence a probability, combined as 1 − Π(1 − s)):

- a name whose regions fix the agency (full): 0.95 × the source's weight;
- a short name (区政府, 教育局) only counts with a region given elsewhere: 0.9 when the path or another
  name gives the agency's own region, 0.5 when only a region above it, 0.3 with no region at all;
- weights: title 1.0, signature 0.95, source path 0.9, body 0.75 (a body names other agencies too);
- a candidate outside the region the path points to is multiplied by 0.6.

A report is attached (``accepted``) only when the best candidate reaches :data:`ACCEPT` and leads
the second by :data:`MARGIN`; otherwise it waits for a person with every candidate listed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from xxgk.corpus.registry import Registry, norm, region_variants
from xxgk.corpus.types import AgencyRecord, Match
from xxgk.model import Report

__all__ = ["ACCEPT", "MARGIN", "Matcher", "ReportMatcher", "canon"]

ACCEPT = 0.85  # the least confidence at which a report is attached without a person
MARGIN = 0.15  # … and by how much the best candidate must lead the second
WEIGHT = {"title": 1.0, "signature": 0.95, "path": 0.9, "body": 0.75}
SOURCE_ZH = {"title": "标题", "signature": "落款", "path": "来源路径", "body": "正文"}
FULL, SHORT_CONTEXT, SHORT_BODY, SHORT_UNDER, SHORT_ALONE = 0.95, 0.9, 0.7, 0.5, 0.3
CONTRADICTED = 0.6
MAX_CANDIDATES = 10

_CANON = ((re.compile("人民政府"), "政府"), (re.compile("政府办公[室厅]"), "政府办"), (re.compile("办事处$"), "办"))
_NOISE = re.compile(r"(?:19|20)\d{2}年?度?|政府信息公开(?:工作)?(?:年度)?(?:报告|年报)?|(?:工作)?年度报告|年报|"
                    r"报告|关于|[0-9_\-—.·,，、()\[\]【】]+")
_SEP = re.compile(r"[\\/]+")
_EXT = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def canon(core: str) -> str:
    """The canonical form of a name's core: 人民政府 → 政府, 政府办公室/厅 → 政府办, 办事处 → 办."""
    for rx, rep in _CANON:
        core = rx.sub(rep, core)
    return core


def _suffix(name: str) -> str:
    """The word a region's own agencies call it by: 区 (区政府), 乡, 街道 (街道办), 自治区."""
    n = norm(name)
    return "街道" if n.endswith("街道") else "自治区" if n.endswith("自治区") else n[-1:]


def _clean(text: str) -> str:
    """The agency's part of a title or file name: years, report words and punctuation removed."""
    return _NOISE.sub("", norm(text))


@dataclass
class _Reading:
    """A printed name read: its line of regions (each a set of codes) and its indexed core."""

    source: str
    printed: str
    chain: list[set[str]]
    key: str | None


@dataclass
class _Cand:
    """One candidate's evidence. Full names count once per source; short names, which all lean on
    the same region, count once together (the strongest of them)."""

    support: dict[str, tuple[float, str]] = field(default_factory=dict)  # evidence key -> (s, source)
    notes: list[str] = field(default_factory=list)  # every piece of evidence, in Chinese
    factor: float = 1.0
    against: list[str] = field(default_factory=list)

    def add(self, key: str, source: str, s: float, note: str) -> None:
        if s > self.support.get(key, (0.0, ""))[0]:
            self.support[key] = (s, source)
        if note not in self.notes:
            self.notes.append(note)

    @cached_property
    def score(self) -> float:
        """The confidence, 1 − Π(1 − s) times the factor: read once all the evidence is in."""
        miss = 1.0
        for s, _ in self.support.values():
            miss *= 1.0 - s
        return round((1.0 - miss) * self.factor, 3)

    @property
    def method(self) -> str:
        return max(self.support.values())[1] if self.support else "none"


class Matcher:
    """Matches reports to the agencies of one registry (the index is built once, here)."""

    def __init__(self, registry: Registry) -> None:
        self.reg = registry
        # key -> anchor region (None: the key names its place itself) -> agency codes
        self._index: dict[str, dict[str | None, list[str]]] = {}
        names = registry.region_names()
        self._exact = {n: c for n, (c, _) in names.items() if c}
        self._ends = {n[-1] for n in self._exact}
        self._lens = sorted({len(n) for n in self._exact}, reverse=True)
        generic: set[str] = set()
        pending: list[tuple[str, AgencyRecord]] = []
        for a in registry.agencies.values():
            path = registry.region_path(a.region)
            for nm in (a.name, *a.aliases):
                rest, deepest = self._strip_own(norm(nm), path)
                if deepest is None:
                    pending.append((canon(norm(nm)), a))
                    continue
                key = canon(rest) or ("政府" if a.kind in ("government", "township") else "")
                if not key:
                    continue
                self._put(key, deepest, a.code)
                generic.add(key)
                if deepest == a.region:
                    hinted = _suffix(registry.regions[a.region].name) + key
                    self._put(hinted, deepest, a.code)
                    generic.add(hinted)
        for key, a in pending:  # 区政府 listed as an alias is short; 陕县人民政府 names its place
            self._put(key, a.region if key in generic else None, a.code)
        self._keylen = max(map(len, self._index), default=0)

    def _put(self, key: str, anchor: str | None, code: str) -> None:
        codes = self._index.setdefault(key, {}).setdefault(anchor, [])
        if code not in codes:
            codes.append(code)

    @staticmethod
    def _strip_own(n: str, path: list) -> tuple[str, str | None]:  # type: ignore[type-arg]
        """A name without the names of its own regions at its start (三门峡市陕州区人民政府 → 人民政府):
        of every way to strip them (full names, variants, levels skipped), the one reaching deepest."""
        states: list[tuple[str, str | None, int]] = [(n, None, -1)]
        for i, r in enumerate(path):
            forms = (norm(r.name), *region_variants(r.name, r.level))
            states += [(rest[len(v):], r.code, i) for rest, _, _ in states for v in forms if v and rest.startswith(v)]
        rest, deepest, _ = max(states, key=lambda s: (s[2], -len(s[0])))
        return rest, deepest

    # ---------------------------------------------------------------- reading printed names

    def _read(self, source: str, printed: str, bare: bool = True) -> _Reading:
        """Regions then a core the index knows; fewer regions are tried when the line does not fit.
        A bare region (安泽县) reads as its government when ``bare`` (a title, not a folder)."""
        n = norm(printed)
        tokens, rest = self.reg.region_tokens(n)
        fallback: list[set[str]] = []
        for k in range(len(tokens), -1, -1):
            chain = self.reg.resolve_chain([c for _, c in tokens[:k]]) if k else []
            if chain is None:
                continue
            fallback = fallback or chain
            core = "".join(t for t, _ in tokens[k:]) + rest
            key = canon(core) if core else ("政府" if k and bare else "")
            if key in self._index:
                return _Reading(source, printed, chain, key)
        return _Reading(source, printed, fallback, None)

    def _path(self, path: str) -> tuple[list[set[str]], _Reading | None, str]:
        """The regions a source path's folders name, the agency its file (or last folder) names."""
        parts = [p for p in _SEP.split(path) if p][-5:]
        if not parts:
            return [], None, ""
        parts[-1] = _EXT.sub("", parts[-1])
        tokens: list[tuple[str, ...]] = []
        for p in parts[:-1]:  # the folders; the file's own name is read as a printed name below
            toks, _ = self.reg.region_tokens(_clean(p))
            tokens.extend(c for _, c in toks if not tokens or c != tokens[-1])
        chain: list[set[str]] | None = []
        for i in range(len(tokens)):  # a stray name high up the path does not spoil the rest
            chain = self.reg.resolve_chain(tokens[i:])
            if chain:
                break
        reading = None
        for i in range(len(parts) - 1, -1, -1):
            if _clean(parts[i]):
                r = self._read("path", _clean(parts[i]), bare=i == len(parts) - 1)
                if r.key is not None:
                    reading = r
                    break
        return chain or [], reading, "/".join(parts)

    def _body_regions(self, text: str) -> list[tuple[int, int, tuple[str, ...]]]:
        """Where the body names regions: (start, end, codes), for names of regions in the registry."""
        hits = []
        exact, ends, lens = self._exact, self._ends, self._lens
        for j, ch in enumerate(text):
            if ch in ends:
                for ln in lens:
                    codes = exact.get(text[j - ln + 1:j + 1]) if ln <= j + 1 else None
                    if codes:
                        hits.append((j - ln + 1, j + 1, codes))
                        break
        return hits

    def _body_names(self, text: str) -> list[_Reading]:
        """Agencies the body names in full (a line of regions and a core), for a report naming none elsewhere."""
        out: list[_Reading] = []
        seen: set[str] = set()
        last_end = -1
        for start, end, _ in self._body_regions(text)[:40]:
            if start <= last_end:
                last_end = end
                continue
            last_end = end
            tokens, rest = self.reg.region_tokens(text[start:start + 24 + self._keylen])
            for ln in range(min(self._keylen, len(rest)), 0, -1):
                if canon(rest[:ln]) in self._index:
                    printed = "".join(t for t, _ in tokens) + rest[:ln]
                    if printed not in seen:
                        seen.add(printed)
                        r = self._read("body", printed)
                        if r.key is not None and r.chain:
                            out.append(r)
                    break
        return out

    # ---------------------------------------------------------------- candidates

    def _candidates(self, rd: _Reading, ctx: set[str], seen: Callable[[], Counter[str]] | None = None,
                    ) -> list[tuple[str, float, str]]:
        """(agency code, strength, how) for one reading, with the regions given elsewhere (``ctx``);
        a short name with no region at all keeps the candidates whose regions the body names most
        (``seen``: region code -> mentions), or the registry's first ones."""
        entries = self._index.get(rd.key or "", {})
        anc = self.reg.ancestors
        out: list[tuple[str, float, str]] = []
        if rd.chain:
            deepest = rd.chain[-1]
            narrowed = {c for c in deepest if c in ctx or ctx & set(anc(c))} if len(deepest) > 1 else deepest
            deepest = narrowed or deepest
            for r in deepest:
                out.extend((a, FULL, "全称") for a in entries.get(r, ()))
            for a in entries.get(None, ()):
                own = {self.reg.agencies[a].region, *anc(self.reg.agencies[a].region)}
                if deepest & own:
                    out.append((a, FULL, "全称"))
            return out
        out.extend((a, FULL, "名称") for a in entries.get(None, ()))
        short = {r: codes for r, codes in entries.items() if r is not None}
        exact = [(a, r) for r in ctx for a in short.get(r, ())]
        if exact:
            return out + [(a, SHORT_CONTEXT, f"简称，地区“{self.reg.regions[r].name}”由别处给出") for a, r in exact]
        under = [(a, r) for r, codes in short.items() if ctx & set(anc(r)) for a in codes]
        if under:
            return out + [(a, SHORT_UNDER, f"简称，只知其在“{self._names(ctx & set(anc(r)))}”之下")
                          for a, r in under]
        anchors = list(short)
        if len(anchors) > 4 * MAX_CANDIDATES and seen is not None:
            counts = seen()
            anchors = sorted(anchors, key=lambda r: -counts.get(r, 0))
        return out + [(a, SHORT_ALONE, "简称，无地区可以确定") for r in anchors[: 4 * MAX_CANDIDATES] for a in short[r]]

    def _names(self, codes: set[str]) -> str:
        return "、".join(sorted(self.reg.regions[c].name for c in codes))

    def match(self, report: Report, *, body: str | None = None, source_path: str | None = None) -> Match:
        """The agency of a report, with its confidence, the candidates and the evidence in Chinese."""
        readings: list[_Reading] = []
        if report.agency and report.agency_source == "title":
            readings.append(self._read("title", report.agency))
        elif report.title and _clean(report.title):
            readings.append(self._read("title", _clean(report.title)))
        sig = report.signature_agency or (report.agency if report.agency_source == "signature" else None)
        if sig:
            readings.append(self._read("signature", sig))
        path_chain, path_reading, path_shown = self._path(source_path or report.source_path or "")
        if path_reading is not None:
            readings.append(path_reading)
        text = norm(body[:4000] + body[-800:] if len(body or "") > 4800 else body or "", fast=True)
        if text and not any(r.key for r in readings):
            readings.extend(self._body_names(text))
        path_ctx = path_chain[-1] if path_chain else set()
        # the regions given elsewhere: the path's, and those a name fixes (城关镇 alone fixes none)
        ctx = set(path_ctx).union(*(r.chain[-1] for r in readings if r.chain and len(r.chain[-1]) == 1))

        cands: dict[str, _Cand] = {}
        memo: list[Counter[str]] = []

        def seen() -> Counter[str]:
            if not memo:
                memo.append(Counter(c for _, _, codes in self._body_regions(text) for c in codes))
            return memo[0]

        for rd in readings:
            if rd.key is None:
                continue
            w = WEIGHT[rd.source]
            for a, s, how in self._candidates(rd, ctx, seen if text else None):
                cands.setdefault(a, _Cand()).add("short" if s < FULL else rd.source, rd.source, round(w * s, 3),
                                                 f"{SOURCE_ZH[rd.source]}署“{rd.printed}”（{how}）")
        self._confirm(cands, text)
        for a, c in cands.items():
            region = self.reg.agencies[a].region
            if path_ctx and not (region in path_ctx or path_ctx & set(self.reg.ancestors(region))
                                 or any(region in self.reg.ancestors(p) for p in path_ctx)):
                c.factor *= CONTRADICTED
                c.against.append(f"来源路径指向“{self._names(path_ctx)}”，与其所在的“{self.reg.regions[region].name}”不符")
        return self._decide(cands, readings, path_ctx, path_shown)

    def _confirm(self, cands: dict[str, _Cand], text: str) -> None:
        """The body names a candidate in full, or names its region far more than the others'."""
        if not text or not cands:
            return
        counts: dict[str, int] = {}
        for a, c in cands.items():
            rec = self.reg.agencies[a]
            for nm in (rec.name, *rec.aliases):
                n = norm(nm)
                if len(n) >= 4 and n in text and ("body" not in c.support):
                    c.add("body", "body", round(WEIGHT["body"] * FULL, 3), f"正文出现“{nm}”")
            if rec.region not in counts:
                counts[rec.region] = text.count(norm(self.reg.regions[rec.region].name))
        for a, c in cands.items():
            region = self.reg.agencies[a].region
            others = max((n for r, n in counts.items() if r != region), default=0)
            if counts[region] >= 2 and counts[region] >= 2 * others and "body" not in c.support:
                c.add("body", "body", round(WEIGHT["body"] * SHORT_BODY, 3),
                      f"正文提及“{self.reg.regions[region].name}”{counts[region]}次")

    def _decide(self, cands: dict[str, _Cand], readings: list[_Reading], path_ctx: set[str],
                path_shown: str) -> Match:
        ranked = sorted(cands.items(), key=lambda kv: (-kv[1].score, kv[0]))
        listed = tuple((a, c.score) for a, c in ranked[:MAX_CANDIDATES])
        if not ranked:
            printed = [f"{SOURCE_ZH[r.source]}“{r.printed}”" for r in readings]
            why = ("未在名录中找到" + "、".join(printed) + "所署的机关") if printed else "报告未写明机关名称，路径和正文也无线索"
            return Match(None, 0.0, "none", False, (), (why, "待人工确认"))
        best, bc = ranked[0]
        second = ranked[1][1].score if len(ranked) > 1 else 0.0
        rec = self.reg.agencies[best]
        tied = [a for a, c in ranked if c.score == bc.score]
        if len(tied) > 1:
            shown = "、".join(self.reg.agencies[a].name for a in tied[:5]) + ("等" if len(tied) > 5 else "")
            reasons = [f"{len(tied)}个候选得分相同（{bc.score:.2f}）：{shown}"]
        else:
            reasons = [f"最可能为“{rec.name}”（{best}）"]
        reasons += bc.notes
        if path_ctx:
            reasons.append(f"来源路径“{path_shown}”指向“{self._names(path_ctx)}”")
        reasons += bc.against
        accepted = bc.score >= ACCEPT and bc.score - second >= MARGIN
        if not accepted:  # a person sees why the others are there too
            for a, c in ranked[1:3]:
                if a not in tied:
                    reasons.append(f"候选“{self.reg.agencies[a].name}”（{c.score:.2f}）：" + "；".join(c.notes + c.against))
        if accepted:
            lead = f"领先第二候选{bc.score - second:.2f}" if second else "无其他候选"
            reasons.append(f"置信度{bc.score:.2f}，不低于阈值{ACCEPT}，{lead}，已归属")
        elif bc.score < ACCEPT:
            reasons.append(f"置信度{bc.score:.2f}，低于阈值{ACCEPT}，待人工确认")
        else:
            other = self.reg.agencies[ranked[1][0]].name
            reasons.append(f"与第二候选“{other}”（{second:.2f}）相差不足{MARGIN}，待人工确认")
        return Match(best if accepted else None, bc.score, bc.method, accepted, listed, tuple(reasons))

    def find(self, name: str, *, region: str | None = None) -> list[tuple[AgencyRecord, float]]:
        """The agencies a printed name may be (for a person attaching a report by hand), best first."""
        rd = self._read("title", name)
        if rd.key is None:
            return []
        ctx = {r.code for r in self.reg.find_region(region)} if region else set()
        best: dict[str, float] = {}
        for a, s, _ in self._candidates(rd, ctx):
            best[a] = max(best.get(a, 0.0), s)
        return [(self.reg.agencies[a], s) for a, s in sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))]


class ReportMatcher:
    """A picklable ``Report -> Match`` for the ingest workers: the registry's :class:`Matcher`, fed
    the report's source path and its parts' text as the body."""

    def __init__(self, registry: Registry) -> None:
        self.matcher = Matcher(registry)

    def __call__(self, report: Report) -> Match:
        body = "\n".join(p.text for p in report.parts.values()) if report.parts else None
        return self.matcher.match(report, body=body, source_path=report.source_path)
