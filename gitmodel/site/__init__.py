"""The registry as a static site (`gitmodel site -o DIR`): one page kind per module, built from the repository
alone (tags, released manifests, the work tree) and readable from file:// or any static host.

`data.py` reads everything once (one for-each-ref, one cat-file for every released manifest); `html.py` is the
one place values become HTML (every value from the repository is escaped there); `index_page.py`,
`model_page.py`, `release_page.py` and `diff_page.py` render one page kind each, `charts.py` the inline SVG
metric charts; `build.py` writes only the pages whose bytes changed, inside the output directory alone.

May import: gitmodel.review, gitmodel.registry, gitmodel.gate, gitmodel.storage, gitmodel.repo, gitmodel.model,
gitmodel.infra (the same level as review and context).
"""
