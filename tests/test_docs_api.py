"""The API reference tells a plugin author what to write: every constructor field of the
records and programmes a plugin builds, and every member of every enum the package
exports, appear on the built page.

The site is built once with mkdocs (as ``nox -s docs`` does, warnings as errors) and
the API page's text is searched section by section.
"""

from __future__ import annotations

import enum
import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

import jieqin

ROOT = Path(__file__).resolve().parents[1]

#: The classes a regional plugin constructs: their fields must all be documented.
CONSTRUCTED = ("Program", "Fund", "AidProgram", "Grant", "Decision", "AmountTier", "PriorityKey")


def _mkdocs() -> list[str]:
    exe = Path(sys.executable).with_name("mkdocs")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("mkdocs")
    if found is None:
        pytest.skip("mkdocs is not installed (install the 'docs' extra)")
    return [found]


@pytest.fixture(scope="module")
def api_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    site = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [*_mkdocs(), "build", "--strict", "--quiet", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return (site / "api" / "index.html").read_text(encoding="utf-8")


def _section(page: str, qualified: str) -> str:
    """The text of the reference's section on ``qualified`` and its members: up to the
    next heading that is not one of its members'."""
    headings = list(re.finditer(r'<h[1-6] id="([^"]+)" class="doc doc-heading"', page))
    starts = [i for i, h in enumerate(headings) if h.group(1) == qualified]
    assert starts, f"{qualified} is not in the API reference"
    first = starts[0]
    end = len(page)
    for heading in headings[first + 1 :]:
        if not heading.group(1).startswith(qualified + "."):
            end = heading.start()
            break
    text = re.sub(r"<[^>]+>", " ", page[headings[first].start() : end])
    return re.sub(r"\s+", " ", html.unescape(text))


def _qualified(obj: type) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


@pytest.mark.parametrize("name", CONSTRUCTED)
def test_every_constructor_field_is_documented(api_page: str, name: str) -> None:
    cls = getattr(jieqin, name)
    section = _section(api_page, _qualified(cls))
    missing = [f.name for f in attrs.fields(cls) if f.init and f.name not in section]
    assert not missing, f"{name}: fields missing from the API reference: {missing}"


def _enums() -> list[type[enum.Enum]]:
    found = []
    for name in jieqin.__all__:
        obj = getattr(jieqin, name)
        if isinstance(obj, type) and issubclass(obj, enum.Enum):
            found.append(obj)
    return found


def test_the_package_exports_enums() -> None:
    assert len(_enums()) >= 20


@pytest.mark.parametrize("cls", _enums(), ids=lambda c: c.__name__)
def test_every_enum_member_is_documented(api_page: str, cls: type[enum.Enum]) -> None:
    section = _section(api_page, _qualified(cls))
    missing = [m.name for m in cls if m.name not in section or str(m.value) not in section]
    assert not missing, f"{cls.__name__}: members missing from the API reference: {missing}"
