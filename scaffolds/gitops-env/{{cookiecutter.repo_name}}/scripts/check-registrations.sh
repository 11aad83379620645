#!/usr/bin/env bash
# Every folder services/<team>/ belongs to a team that has an AppProject here: projects/<team>.yaml, listed in
# projects/kustomization.yaml. The ApplicationSets take an Application's project from the folder name, so a folder
# named after any other project (`default`, `platform`) would deploy with that project's rights. Run by pre-commit.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
for folder in services/*/; do
  [ -d "$folder" ] || continue
  team=$(basename "$folder")
  if [ ! -f "projects/${team}.yaml" ]; then
    echo "${folder}: there is no projects/${team}.yaml; add the team first (README.md, \"Add a team\")" >&2
    status=1
  elif ! grep -Eq "^[[:space:]]*-[[:space:]]*${team}\.yaml[[:space:]]*$" projects/kustomization.yaml; then
    echo "${folder}: projects/${team}.yaml is not listed in projects/kustomization.yaml" >&2
    status=1
  fi
done
exit "$status"
