"""A GitHub Actions workflow against SchemaStore's public workflow schema (schemas/vendor/github-workflow.json)."""

from gitops_tools.checks import vendored_schema_check

check = vendored_schema_check("github-workflow.json")
