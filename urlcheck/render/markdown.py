"""Results as a Markdown table, for pull-request comments: failures marked, then the summary."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import CheckResult, Summary
from .labels import redirect_text, summary_line


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("`", "\\`")


def to_markdown(results: Sequence[CheckResult], summary: Summary | None = None) -> str:
    """A Markdown table for pull-request comments, failures marked, then the summary."""
    lines = ["| | URL | Status | Time | Redirects | Error |", "|---|---|---|---:|---|---|"]
    for r in results:
        status = "" if r.status is None else f"{r.status} {r.reason or ''}".strip()
        timing = f"{r.elapsed_ms:,.0f} ms" if r.attempts else ""
        cells = (
            "✅" if r.ok else "⚠️" if r.warning else "❌",
            r.url,
            status or str(r.error_kind or ""),
            timing,
            redirect_text(r),
            r.error or "",
        )
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    if summary is not None:
        lines.append("")
        lines.append(_cell(summary_line(summary)))
    return "\n".join(lines) + "\n"
