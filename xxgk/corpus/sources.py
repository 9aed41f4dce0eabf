"""What to ingest: files, folders (recursively), ZIP archives and URL lists of saved pages.

:func:`enumerate_sources` lists every document (a :class:`Ref`, no bytes read yet) and the inputs
that cannot be documents (missing paths, refused archives) as failures; :class:`SourceReader`
reads a document's bytes when it is its turn, within the limits.

- A ZIP archive (``*.zip`` that is not a Word/Excel file) is read member by member from its
  central directory: an archive of more than ``MAX_MEMBERS`` members or declaring more than
  ``MAX_ARCHIVE_BYTES`` is refused whole; a member larger than ``max_bytes`` or compressed more
  than ``MAX_RATIO`` times is refused alone (a zip bomb), and no member is ever inflated past
  ``max_bytes``. Member names written by Chinese Windows (GBK, without the UTF-8 flag) are decoded.
- A URL list (``*.txt``/``*.tsv``/``*.list`` whose lines are ``URL<TAB>saved-file-path``) names
  pages saved beforehand: nothing is downloaded; the URL is recorded as the report's source and
  the path (relative to the list's folder) is read. In a folder, a file a list names is read once,
  as that URL.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from xxgk.corpus.store import FailureRecord
from xxgk.errors import XxgkError
from xxgk.readers import DEFAULT_MAX_BYTES, read_bytes
from xxgk.readers.docx import MAX_RATIO, ZIP_ERRORS

MAX_MEMBERS = 100_000  # members of one archive
MAX_ARCHIVE_BYTES = 64 * 1024**3  # declared uncompressed size of one archive
RATIO_FLOOR = 1024 * 1024  # members smaller than this are not held to MAX_RATIO (small text packs well)
LIST_SUFFIXES = (".txt", ".tsv", ".list")
_URL_LINE = re.compile(r"^https?://\S+\t\S.*$")


@dataclass(frozen=True)
class Ref:
    """One document to read: where its bytes are, and the source recorded with it."""

    source: str  # the path, "archive.zip!member" or the page's URL
    path: str  # the file to read (the archive, for a member; the saved page, for a URL)
    member: str | None = None  # the member's name inside the archive, as zipfile names it


def _failure(source: str, code: str, zh: str, en: str) -> FailureRecord:
    return FailureRecord(source=source, code=code, message=zh, message_en=en)


def _hidden(p: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in p.relative_to(root).parts)


def is_archive(p: Path) -> bool:
    """A ``.zip`` that is not a Word or Excel file (those are documents)."""
    if p.suffix.lower() != ".zip":
        return False
    try:
        with zipfile.ZipFile(p) as z:
            names = set(z.namelist()[:10000])
    except ZIP_ERRORS:
        return True  # a damaged archive: reported as such by its enumeration
    return "word/document.xml" not in names and "xl/workbook.xml" not in names


def url_list(p: Path) -> list[tuple[str, str]] | None:
    """The (URL, saved path) lines of a URL list, or None if the file is not one."""
    if p.suffix.lower() not in LIST_SUFFIXES:
        return None
    try:
        with p.open("rb") as fh:
            head = fh.read(65536)
    except OSError:
        return None
    try:
        first = [ln for ln in head.decode("utf-8-sig").splitlines()[:20] if ln.strip() and not ln.startswith("#")]
    except UnicodeDecodeError:
        return None
    if not first or not all(_URL_LINE.match(ln.strip("\r")) for ln in first):
        return None
    out = []
    try:
        text = p.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        line = line.strip("\r\n")
        if line.strip() and not line.startswith("#") and "\t" in line:
            url, path = line.split("\t", 1)
            out.append((url.strip(), path.strip()))
    return out


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it (GBK when the UTF-8 flag is not set)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _archive(p: Path, max_bytes: int) -> tuple[list[Ref], list[FailureRecord]]:
    src = str(p)
    try:
        with zipfile.ZipFile(p) as z:
            infos = [i for i in z.infolist() if not i.is_dir()]
    except ZIP_ERRORS:
        return [], [_failure(src, "bad-zip", f"ZIP 压缩包已损坏或无法打开：{p}", f"damaged or unreadable ZIP archive: {p}")]
    if len(infos) > MAX_MEMBERS:
        return [], [_failure(src, "zip-bomb", f"压缩包成员过多（{len(infos)} 个，上限 {MAX_MEMBERS}），已拒绝：{p}",
                             f"refused: too many members ({len(infos)}, limit {MAX_MEMBERS}): {p}")]
    total = sum(i.file_size for i in infos)
    if total > MAX_ARCHIVE_BYTES:
        return [], [_failure(src, "zip-bomb", f"压缩包解压后过大（{total / 1024**3:.0f} GB），已拒绝：{p}",
                             f"refused: the archive would inflate to {total / 1024**3:.0f} GB: {p}")]
    refs, failures = [], []
    for i in infos:
        name = _member_name(i)
        if any(part.startswith(".") or part == "__MACOSX" for part in name.split("/")):
            continue
        source = f"{p}!{name}"
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > max_bytes:
            failures.append(_failure(source, "too-large",
                                     f"文件过大（{i.file_size / 1048576:.1f} MB，上限 {max_bytes / 1048576:.0f} MB）：{source}",
                                     f"file too large ({i.file_size / 1048576:.1f} MB, limit "
                                     f"{max_bytes / 1048576:.0f} MB): {source}"))
        elif i.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            failures.append(_failure(source, "zip-bomb",
                                     f"压缩比过高（{ratio:.0f}），疑为压缩炸弹，已拒绝：{source}",
                                     f"refused: compressed {ratio:.0f} times, a zip bomb: {source}"))
        else:
            refs.append(Ref(source, str(p), i.filename))
    return refs, failures


def _list_refs(p: Path, lines: list[tuple[str, str]]) -> list[Ref]:
    return [Ref(url, str((p.parent / path) if not os.path.isabs(path) else Path(path))) for url, path in lines]


def _document_refs(p: Path, max_bytes: int) -> tuple[list[Ref], list[FailureRecord]]:
    """One file: the members of an archive, or the file itself."""
    if is_archive(p):
        return _archive(p, max_bytes)
    return [Ref(str(p), str(p))], []


def enumerate_sources(sources: Iterable[str | os.PathLike[str]], *, max_bytes: int = DEFAULT_MAX_BYTES
                      ) -> tuple[list[Ref], list[FailureRecord]]:
    """Every document in ``sources`` (in a stable order) and the inputs refused as a whole."""
    refs: list[Ref] = []
    failures: list[FailureRecord] = []
    seen: set[tuple[str, str | None, str]] = set()

    def add(found: list[Ref]) -> None:
        for r in found:
            ident = (os.path.abspath(r.path), r.member, r.source if r.member is None and r.source != r.path else "")
            if ident not in seen:
                seen.add(ident)
                refs.append(r)

    for p in map(Path, sources):
        if p.is_dir():
            files = [f for f in sorted(p.rglob("*")) if f.is_file() and not _hidden(f, p)]
            listed: set[str] = set()
            lists = {}
            for f in files:
                lines = url_list(f)
                if lines is not None:
                    lists[f] = lines
                    listed.update(os.path.abspath(r.path) for r in _list_refs(f, lines))
            for f, lines in lists.items():
                add(_list_refs(f, lines))
            for f in files:
                if f in lists or os.path.abspath(f) in listed:
                    continue
                found, bad = _document_refs(f, max_bytes)
                add(found)
                failures.extend(bad)
        elif p.is_file():
            lines = url_list(p)
            if lines is not None:
                add(_list_refs(p, lines))
            else:
                found, bad = _document_refs(p, max_bytes)
                add(found)
                failures.extend(bad)
        else:
            failures.append(_failure(str(p), "not-found", f"文件不存在：{p}", f"no such file: {p}"))
    return refs, failures


class SourceReader:
    """Reads documents' bytes within the limits, keeping the archive being read open."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._zip: tuple[str, zipfile.ZipFile] | None = None

    def read(self, ref: Ref) -> bytes:
        """The document's bytes; raises XxgkError (not-found, too-large, bad-zip, …)."""
        if ref.member is None:
            try:
                return read_bytes(ref.path, max_bytes=self.max_bytes)
            except XxgkError as e:
                if ref.source != ref.path:  # a URL's saved page: say which URL
                    raise XxgkError(e.code, f"{e.message}（{ref.source}）", f"{e.message_en} ({ref.source})") from None
                raise
        try:
            if self._zip is None or self._zip[0] != ref.path:
                self.close()
                self._zip = (ref.path, zipfile.ZipFile(ref.path))
            with self._zip[1].open(ref.member) as fh:
                data = fh.read(self.max_bytes + 1)
        except ZIP_ERRORS as e:
            raise XxgkError("bad-zip", f"压缩包成员已损坏或无法读取：{ref.source}（{type(e).__name__}）",
                            f"damaged or unreadable archive member: {ref.source} ({type(e).__name__})") from None
        if len(data) > self.max_bytes:
            raise XxgkError("zip-bomb", f"压缩包成员解压后过大，已拒绝：{ref.source}",
                            f"refused: the member inflates past {self.max_bytes} bytes: {ref.source}")
        return data

    def close(self) -> None:
        if self._zip is not None:
            self._zip[1].close()
            self._zip = None
