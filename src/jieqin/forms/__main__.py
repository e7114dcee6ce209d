"""``python -m jieqin.forms``: rebuild the shipped XLSForm workbooks from their definitions."""

from pathlib import Path

from jieqin.forms import build_shipped

if __name__ == "__main__":
    for path in build_shipped(Path(__file__).parent):
        print(f"Wrote {path.name}")
