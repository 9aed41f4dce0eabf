"""xxgk 信息公开: read, check and produce annual reports on government information disclosure.

    >>> import xxgk
    >>> report = xxgk.parse("report.txt")          # -> Report (exact cells, with provenance)
    >>> findings = xxgk.check(report)              # -> list[Finding]
"""

from xxgk.api import check, parse, parse_bytes
from xxgk.errors import XxgkError
from xxgk.model import CellInfo, Finding, Headline, Location, Report
from xxgk.template import load_template, template_ids

__version__ = "0.1.0"
__all__ = [
    "CellInfo", "Finding", "Headline", "Location", "Report", "XxgkError", "check", "load_template",
    "parse", "parse_bytes", "template_ids",
]
