"""The lint pipeline, one module per phase; data flows one way and no phase looks back:

    discover -> load -> classify -> evaluate (per document) -> workspace (across documents) -> filters -> result

`discover` finds the files and the repository root, and names each file once (FilePaths); `load`, `classify` and
`evaluate` are the per-file phase, a function of (file, config, policies) alone; `workspace` runs the checks that
need every document; `filters` is the one ordered chain that decides what is reported; `result` is what reporters
read. `gitops_tools.lint.lint` runs them in order.
"""
