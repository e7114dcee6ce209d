"""jieqin-jsonl: keep a jieqin campaign in a directory of JSON Lines files.

For village offices that work offline: ``jieqin.connect("jsonl:///path/to/dir")``.
Every commit is atomic (temporary files, ``fsync``, rename); see the README.
"""

from jieqin_jsonl.storage import JsonlStorage, JsonlUnitOfWork, path_from_url

__all__ = ["JsonlStorage", "JsonlUnitOfWork", "path_from_url"]
__version__ = "0.1.0"
