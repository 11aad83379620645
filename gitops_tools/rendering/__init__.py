"""Rendered overlays: each kustomize entry point built with a kustomize binary (no network, no plugins, no Helm,
bounded in time and output), its objects linted with every policy, and each finding traced back to the source file
and line that produced the offending value (origin.py)."""
