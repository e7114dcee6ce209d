"""``python -m jieqin``: the ``jieqin`` command, for when its script is not on PATH."""

from jieqin.cli import main

if __name__ == "__main__":
    main()
