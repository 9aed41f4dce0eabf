"""LibreOffice and poppler, for the families that publish PDFs or text taken from them.

``to_pdf`` converts a batch of documents in ONE ``soffice --headless --convert-to pdf`` call (a
private user profile per call, so it never collides with another LibreOffice running on the
machine); ``pdftotext`` runs poppler's converter on one PDF.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from xxgk.errors import XxgkError


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise XxgkError(
            "soffice-missing",
            "未安装 LibreOffice（soffice），无法生成 PDF：请安装 libreoffice-writer-nogui",
            "LibreOffice (soffice) is not installed, PDFs cannot be generated: install libreoffice-writer-nogui",
        )
    return exe


def pdftotext_exe() -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        raise XxgkError(
            "pdftotext-missing",
            "未安装 pdftotext，无法从 PDF 取文本：请安装 poppler-utils",
            "pdftotext is not installed, text cannot be taken from PDFs: install poppler-utils",
        )
    return exe


def to_pdf(docs: dict[str, bytes], workdir: Path | None = None, *, ext: str = "docx",
           target: str = "pdf", timeout: float = 900) -> dict[str, bytes]:
    """Convert every document (name -> bytes) with one soffice call; name -> converted bytes."""
    if not docs:
        return {}
    exe = soffice()
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        root = Path(tmp)
        src, out, profile = root / "in", root / "out", root / "profile"
        src.mkdir()
        out.mkdir()
        paths = []
        for name, data in docs.items():
            p = src / f"{name}.{ext}"
            p.write_bytes(data)
            paths.append(str(p))
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", target, "--outdir", str(out), *paths]
        try:
            subprocess.run(cmd, check=False, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise XxgkError("soffice-timeout", "LibreOffice 转换超时", "LibreOffice conversion timed out") from None
        result = {}
        suffix = target.split(":", 1)[0]
        for name in docs:
            p = out / f"{name}.{suffix}"
            if not p.exists():
                raise XxgkError("soffice-failed", f"LibreOffice 未能转换：{name}", f"LibreOffice failed to convert: {name}")
            result[name] = p.read_bytes()
        return result


def pdftotext(pdf: bytes, *, layout: bool, workdir: Path | None = None) -> str:
    """poppler's text of a PDF (``-layout`` or reading order); pages separated by form feeds."""
    exe = pdftotext_exe()
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        cmd = [exe, "-enc", "UTF-8", *(["-layout"] if layout else []), str(src), "-"]
        res = subprocess.run(cmd, check=False, capture_output=True, timeout=120)
        if res.returncode != 0:
            raise XxgkError("pdftotext-failed", "pdftotext 运行失败", "pdftotext failed")
        return res.stdout.decode("utf-8")
