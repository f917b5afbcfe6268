"""Results as JUnit XML (the Ant/Jenkins schema): a testsuite per input file, a testcase per
URL line, which CI systems show natively."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from ..models import CheckResult
from .records import to_jsonl


def to_junit(
    results: Sequence[CheckResult], *, started: datetime, hostname: str = "localhost"
) -> str:
    """JUnit XML (the Ant/Jenkins schema): a testsuite per input file, a testcase per URL line."""
    from xml.etree import ElementTree as ET

    suites = ET.Element("testsuites")
    by_file: dict[str, list[CheckResult]] = {}
    for result in results:
        by_file.setdefault(result.file, []).append(result)
    stamp = started.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    for number, (file, cases) in enumerate(by_file.items()):
        failures = sum(not c.ok and not c.warning for c in cases)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=file,
            package="urlcheck",
            id=str(number),
            timestamp=stamp,
            hostname=hostname or "localhost",
            tests=str(len(cases)),
            failures=str(failures),
            errors="0",
            time=f"{sum(c.elapsed_ms for c in cases) / 1000:.3f}",
        )
        ET.SubElement(suite, "properties")
        for case in cases:
            element = ET.SubElement(
                suite,
                "testcase",
                name=f"line {case.line}: {case.url}",
                classname=f"urlcheck.{file}",
                time=f"{case.elapsed_ms / 1000:.3f}",
            )
            if case.warning:  # unverified, and --unverified warn: not a failure
                ET.SubElement(element, "skipped", message=case.error or "")
            elif not case.ok:
                failure = ET.SubElement(
                    element,
                    "failure",
                    type=str(case.error_kind or "failure"),
                    message=case.error or "",
                )
                failure.text = to_jsonl(case)
        ET.SubElement(suite, "system-out")
        ET.SubElement(suite, "system-err")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"
