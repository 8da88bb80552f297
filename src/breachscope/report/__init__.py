"""report: the incident report (HTML/PDF, English and Indonesian) and the public incident page.

Library entry points (``breachscope report`` and the console are thin shells over them):

* :func:`render_report` - one incident's report as HTML text or PDF bytes (the console button);
* :func:`write_report` - the same written to ``--html`` / ``--pdf`` files;
* :func:`write_public_page` - the static public incident page, one file per language.

Everything stated is read from the case (:mod:`breachscope.report.model`); see docs/report.md.
"""

from __future__ import annotations

from breachscope.report.build import WrittenReport, render_report, report_html, write_report
from breachscope.report.model import ReportData, gather

__all__ = ["ReportData", "WrittenReport", "gather", "render_report", "report_html", "write_report"]
