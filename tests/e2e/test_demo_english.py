"""`crm-pulse demo --lang en`: the whole product in English, as a newcomer runs it.

The English demo portal spells its names in Latin letters, so not one Cyrillic letter may be
left in anything the demo writes: captions (HTML and Bitrix24 BB code), the live missed-call
alert, every workbook cell and sheet name, the JSON. The charts' texts are checked where they
are drawn (tests/unit/test_charts_en.py); here the PNGs must simply be there.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from openpyxl import load_workbook

from tests.web.world import CLI

CYRILLIC = re.compile(r"[А-Яа-яЁё]+")


def _russian_in(text: str) -> list[str]:
    return sorted(set(CYRILLIC.findall(text)))


def test_the_english_demo_has_no_russian_left(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [CLI, "demo", "--lang", "en", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert not _russian_in(done.stdout), done.stdout
    files = sorted(out.iterdir())
    assert len([f for f in files if f.suffix == ".png"]) >= 14
    leaks: dict[str, list[str]] = {}
    for path in files:
        if path.suffix in (".html", ".txt", ".json"):
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".json":
                json.loads(text)
            if found := _russian_in(text):
                leaks[path.name] = found
        elif path.suffix == ".xlsx":
            book = load_workbook(path, read_only=True)
            cells = [ws.title for ws in book.worksheets] + [
                str(value)
                for ws in book.worksheets
                for row in ws.iter_rows(values_only=True)
                for value in row
                if isinstance(value, str)
            ]
            if found := _russian_in("\n".join(cells)):
                leaks[path.name] = found
    assert not leaks, leaks
    alert = (out / "live-missed-call.caption.html").read_text(encoding="utf-8")
    assert "Missed call" in alert and "/crm/company/details/" in alert
    morning = (out / "morning.caption.html").read_text(encoding="utf-8")
    assert "Good morning!" in morning and "Top reps:" in morning
