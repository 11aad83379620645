#!/usr/bin/env bash
# Builds every kustomization in this repository and lints what it renders with gitops-tools, so that a resource is
# checked the way Argo CD will apply it. Reports every folder before failing. Needs kustomize and gitops-tools on
# PATH (CI installs both at pinned versions). Usage: scripts/lint-rendered.sh
set -euo pipefail
cd "$(dirname "$0")/.."

built=0
failed=0
failed_folders=""
while IFS= read -r -d '' kustomization; do
  folder=$(dirname "$kustomization")
  built=$((built + 1))
  echo "--- kustomize build ${folder} | gitops-tools lint -"
  if ! kustomize build "$folder" | gitops-tools lint -; then
    failed=$((failed + 1))
    failed_folders="${failed_folders} ${folder}"
  fi
done < <(find . -path ./.git -prune -o -path ./.cache -prune -o \
  \( -name kustomization.yaml -o -name kustomization.yml -o -name Kustomization \) -print0 | sort -z)

if [ "$built" -eq 0 ]; then
  echo "error: no kustomization found" >&2
  exit 1
fi
if [ "$failed" -gt 0 ]; then
  echo "error: ${failed} of ${built} kustomizations failed to build or lint:${failed_folders}" >&2
  exit 1
fi
echo "${built} kustomizations built and linted clean."
