"""The fonts xxgk ships for PDF output, so that a PDF never depends on the fonts a machine has.

Vendored from pinned npm packages by scripts/vendor_assets.py; xxgk/vendored.json lists every file
with its SHA-256, package, version, licence and source, and the SIL Open Font License texts lie
beside the fonts:

- Noto Serif SC Regular, whole (TrueType, 30,928 characters: all of U+4E00–9FFF and Extension A,
  and the 通用规范汉字表 characters beyond the BMP) for the text, the title and the tables;
- Noto Sans SC Regular cut to GB 2312 for the headings (黑体 in GB/T 9704); a character it lacks
  falls back, character by character, to the whole serif font.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from xxgk.errors import XxgkError

FONT_DIR = Path(__file__).resolve().parent
MANIFEST = FONT_DIR.parent / "vendored.json"


@dataclass(frozen=True)
class BundledFont:
    family: str  # the CSS family the writer declares, unlike any installed font's name
    file: str

    @property
    def path(self) -> Path:
        return FONT_DIR / self.file


SERIF = BundledFont("xxgk Noto Serif SC", "NotoSerifSC-Regular.ttf")
SANS = BundledFont("xxgk Noto Sans SC", "NotoSansSC-Regular-GB2312.ttf")
BUNDLED = (SERIF, SANS)


_checked: set[tuple[Path, int, int]] = set()


def check_bundled() -> None:
    """Refuse (XxgkError) unless every bundled font is there and is, byte for byte, the file the
    manifest lists (SHA-256, some 30 ms; once a process): a broken installation would otherwise
    fall back to whatever the machine has, or to nothing."""
    try:
        listed = {f["path"]: f["sha256"] for p in json.loads(MANIFEST.read_text("utf-8"))["packages"]
                  for f in p["files"]}
    except (OSError, ValueError, KeyError):
        listed = {}
    for font in BUNDLED:
        try:
            stat = font.path.stat()
        except OSError:
            stat = None
        key = (font.path, stat.st_size, stat.st_mtime_ns) if stat else None
        if key in _checked:
            continue
        expected = listed.get(f"fonts/{font.file}")
        if stat is None or expected is None or hashlib.sha256(font.path.read_bytes()).hexdigest() != expected:
            raise XxgkError(
                "missing-font",
                f"xxgk 安装不完整：随附字体缺失或已损坏（{font.path}），拒绝输出 PDF；请重新安装 xxgk",
                f"xxgk is not installed whole: the bundled font is missing or damaged ({font.path}); "
                "refusing to write PDF — reinstall xxgk")
        _checked.add(key)  # type: ignore[arg-type]


def font_faces() -> str:
    """@font-face rules for the bundled fonts, as file: URLs WeasyPrint reads."""
    return "".join(
        f'@font-face {{ font-family: "{f.family}"; src: url("{f.path.as_uri()}") format("truetype"); }}\n'
        for f in BUNDLED)
