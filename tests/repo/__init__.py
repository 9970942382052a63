"""repo/: reading at a revision — sources (work tree, index, commit), tags, history, CRLF."""
