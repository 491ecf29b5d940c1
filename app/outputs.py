"""Reports written to a folder: the PNG, both captions, the JSON and (on request) Excel."""

from __future__ import annotations

from pathlib import Path

from reports.build import Report, report_json, report_xlsx
from reports.morning import Post


def write_report(
    report: Report, out: Path, *, stem: str | None = None, xlsx: bool = True
) -> list[Path]:
    """Files for one report, named after it; returns what was written."""
    out.mkdir(parents=True, exist_ok=True)
    stem = stem or report.name
    files = {
        f"{stem}.caption.html": report.caption_html.encode(),
        f"{stem}.caption.bb.txt": report.caption_bb.encode(),
        f"{stem}.json": report_json(report).encode(),
    }
    if report.png is not None:
        files[f"{stem}.png"] = report.png
    if xlsx:
        files[f"{stem}.xlsx"] = report_xlsx(report)
    written = []
    for name, content in files.items():
        path = out / name
        path.write_bytes(content)
        written.append(path)
    return written


def write_post(post: Post, out: Path) -> list[Path]:
    """A scheduled post as its chat would get it: the summary and each report's image."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{post.kind}.caption.html").write_text(post.caption_html, encoding="utf-8")
    (out / f"{post.kind}.caption.bb.txt").write_text(post.caption_bb, encoding="utf-8")
    written = [out / f"{post.kind}.caption.html", out / f"{post.kind}.caption.bb.txt"]
    for number, report in enumerate(post.reports, 1):
        written += write_report(
            report, out, stem=f"{post.kind}-{number}-{report.name}", xlsx=False
        )
    return written
