"""Old Word (DOC), WPS and RTF files: converted to DOCX by LibreOffice in headless mode, then
read by the DOCX reader. LibreOffice is an optional system dependency; without it the user is
told how to install it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from xxgk.document import Document
from xxgk.errors import XxgkError

TIMEOUT = 120


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the process group ``proc`` leads (it was started with ``start_new_session``), then
    reap ``proc``: nothing it started keeps running."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone already
    if proc.returncode is None:
        proc.kill()
    proc.wait()


def convert(data: bytes, suffix: str, target: str, name: str) -> bytes:
    """Convert a document with headless LibreOffice (its own profile per call, so conversions can
    run side by side) and return the converted bytes."""
    exe = soffice()
    if exe is None:
        raise XxgkError("needs-libreoffice", "需要 LibreOffice（apt-get install libreoffice-writer-nogui）",
                        "LibreOffice is needed (apt-get install libreoffice-writer-nogui)")
    ext = target.split(":")[0]
    with tempfile.TemporaryDirectory(prefix="xxgk-lo-") as tmp:
        src = Path(tmp) / f"input{suffix}"
        src.write_bytes(data)
        profile = Path(tmp) / "profile"
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", target, "--outdir", str(Path(tmp) / "out"), str(src)]
        # Its own session (so its own process group): ``soffice`` starts oosplash, which starts
        # soffice.bin; killing only the child we started would leave soffice.bin running.
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, "HOME": tmp}, start_new_session=True)
        try:
            proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise XxgkError("convert-timeout", f"LibreOffice 转换超时（{TIMEOUT} 秒）：{name}",
                            f"LibreOffice conversion timed out ({TIMEOUT} s): {name}") from None
        finally:
            kill_group(proc)  # on a timeout, an interruption, and whatever outlived a conversion
        out = Path(tmp) / "out" / f"input.{ext}"
        if proc.returncode != 0 or not out.exists():
            raise XxgkError("convert-failed", f"LibreOffice 无法转换此文件（文件可能已损坏）：{name}",
                            f"LibreOffice could not convert this file (it may be corrupted): {name}")
        return out.read_bytes()


def read_office(data: bytes, name: str = "<bytes>", suffix: str = ".doc") -> Document:
    from xxgk.readers.docx import read_docx

    exe = soffice()
    if exe is None:
        raise XxgkError(
            "needs-libreoffice",
            f"读取旧版 Word/WPS 文件需要 LibreOffice（Debian/Ubuntu：apt-get install libreoffice-writer-nogui），"
            f"或先另存为 DOCX：{name}",
            f"old Word/WPS files need LibreOffice (Debian/Ubuntu: apt-get install "
            f"libreoffice-writer-nogui), or save the file as DOCX first: {name}",
        )
    out = convert(data, suffix, "docx:MS Word 2007 XML", name)
    doc = read_docx(out, name)
    doc.format = "doc"
    return doc
