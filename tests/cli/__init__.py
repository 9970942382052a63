"""cli/: the Typer commands, the Typer-free fast path and the in-process runner the suite uses."""
