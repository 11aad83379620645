"""An action's metadata file (action.yml) against SchemaStore's public action schema
(schemas/vendor/github-action.json)."""

from gitops_tools.checks import vendored_schema_check

check = vendored_schema_check("github-action.json")
