from __future__ import annotations

from gitmodel.cli import main

if __name__ == "__main__":
    main()
