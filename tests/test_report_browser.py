"""The HTML report in a real browser: its Chinese is drawn with glyphs, not tofu boxes.

A text check cannot see tofu: the page says ``lang="zh-CN"`` and names a CJK font
stack, yet a machine without a CJK font still draws every Chinese character as the
font's "missing glyph" box. So headless Chromium takes screenshots and the pixels
are compared. A probe page carries the report's own stylesheet and the root element
of one of its SVG charts, and shows, in large type on fixed rows:

1. Chinese words of the report as the page styles them (the 合计 heading and more),
2. the same number of unassigned code points, which every font draws as its
   missing-glyph box: what tofu looks like on this machine, in this font stack,
3. and 4. the same two inside the report's SVG root (its ``font-family``).

Where Chinese is drawn as tofu, row 1 is pixel for pixel row 2 (the same boxes at
the same places); with a CJK font the rows differ in most of their inked pixels.
A comparison of the two rows, rather than of a stored picture, holds on any
renderer, font version and hinting. The check is shown to catch tofu: the same
probe rendered with fontconfig limited to the DejaVu fonts (no CJK) must fail it.

Run in CI after ``apt-get install chromium fonts-noto-cjk`` (``.ci/run``).
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from jieqin.model import Year
from jieqin.reports import build_report, render

sys.path.insert(0, str(Path(__file__).parent))
from activity_world import world
from jieqin.storage.counted import TablesReadModel

CHROMIUM = Path("/usr/bin/chromium")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no /usr/bin/chromium: apt-get install chromium fonts-noto-cjk",
    ),
]

ROW = 100
WIDTH = 900
MISSING = "\u0378"  # unassigned in Unicode: no font has a glyph for it


def _png_gray(data: bytes) -> list[list[int]]:
    """The rows of an 8-bit RGB or RGBA, non-interlaced PNG as grey levels (0 black)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0), (depth, interlace)
    assert colour in (2, 6), colour
    step = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b"".join(chunks)), width * step
    rows: list[list[int]] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for x in range(stride):
            a = line[x - step] if x >= step else 0
            b, c = previous[x], previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([sum(line[i : i + 3]) // 3 for i in range(0, stride, step)])
        previous = line
    return rows


def _probe(page: str, words: str) -> str:
    """A page with the report's stylesheet and SVG root: ``words`` and as many tofu boxes."""
    css = re.search(r"<style>(.*?)</style>", page, re.DOTALL)
    svg = re.search(r"<svg [^>]*>", page)
    assert css
    assert svg
    assert 'font-family="' in svg.group(0)
    boxes = MISSING * len(words)
    root = re.sub(r'(viewBox|width|height)="[^"]*" ?', "", svg.group(0))
    rows = [
        f'<div class=r style="top:{0 * ROW}px">{words}</div>',
        f'<div class=r style="top:{1 * ROW}px">{boxes}</div>',
    ]
    for i, text in enumerate((words, boxes), start=2):
        rows.append(
            f'<div style="position:absolute;top:{i * ROW}px">'
            f"{root.replace('<svg ', f'<svg width={WIDTH} height={ROW} ', 1)}"
            f'<text x="8" y="72" font-size="64">{text}</text></svg></div>'
        )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<style>{css.group(1)}body{{margin:0;max-width:none}}"
        ".r{position:absolute;left:8px;height:100px;font-size:64px;line-height:100px;"
        f"white-space:nowrap}}</style></head><body>{''.join(rows)}</body></html>"
    )


def _screenshot(html: str, folder: Path, env: dict[str, str] | None = None) -> list[list[int]]:
    page, shot = folder / "probe.html", folder / "probe.png"
    page.write_text(html, encoding="utf-8")
    shot.unlink(missing_ok=True)
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={folder / 'profile'}",
            f"--window-size={WIDTH},{4 * ROW}",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env=env,
    )
    return _png_gray(shot.read_bytes())


def _ink(rows: list[list[int]], top: int) -> set[tuple[int, int]]:
    """The dark pixels of one probe row, relative to the row."""
    return {
        (x, y - top)
        for y in range(top, top + ROW)
        for x, level in enumerate(rows[y])
        if level < 128
    }


def _tofu(rows: list[list[int]]) -> list[str]:
    """Which probe rows (HTML, SVG) show the Chinese as boxes: no ink, or the tofu's ink."""
    found = []
    for name, top in (("html", 0), ("svg", 2 * ROW)):
        words, boxes = _ink(rows, top), _ink(rows, top + ROW)
        assert boxes, f"{name}: the missing-glyph row drew nothing"
        differ = len(words ^ boxes) / max(len(words | boxes), 1)
        if len(words) < 200 or differ < 0.5:
            found.append(name)
    return found


@pytest.fixture(scope="module")
def words() -> tuple[str, str]:
    """The zh report page and Chinese words it shows (a heading and chart legend labels)."""
    report = build_report(TablesReadModel.of(world()), Year(2021), by_region=True)
    page = render(report, "html", lang="zh")
    assert '<html lang="zh-CN">' in page
    assert "<h2>合计</h2>" in page
    assert "勤联系" in page
    return page, "合计勤联系分区县"


def test_the_chinese_of_the_report_is_drawn_with_glyphs(
    words: tuple[str, str], tmp_path: Path
) -> None:
    page, text = words
    rows = _screenshot(_probe(page, text), tmp_path)
    assert _tofu(rows) == [], "Chinese drawn as tofu: is a CJK font (fonts-noto-cjk) installed?"


@pytest.mark.skipif(not DEJAVU.is_dir(), reason="no DejaVu fonts to render tofu with")
def test_the_check_sees_tofu_where_no_cjk_font_is_found(
    words: tuple[str, str], tmp_path: Path
) -> None:
    page, text = words
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{DEJAVU}</dir><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "FONTCONFIG_FILE": str(conf)}
    rows = _screenshot(_probe(page, text), tmp_path, env)
    assert _tofu(rows) == ["html", "svg"]
