"""A GitLab CI/CD configuration file against GitLab's public CI schema (schemas/vendor/gitlab-ci.json)."""

from gitops_tools.checks import vendored_schema_check

check = vendored_schema_check("gitlab-ci.json")
