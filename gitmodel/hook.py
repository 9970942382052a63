"""The stable entry point of gitmodel's git hooks: `python -m gitmodel.hook pre-commit|pre-merge-commit|pre-push`.

Hook stubs already installed in users' repositories import `gitmodel.hook.main` by this name, so it stays here
while the hook itself lives in gitmodel/gate/hook.py.
"""

from gitmodel.gate.hook import main

__all__ = ["main"]

if __name__ == "__main__":
    main()
