#!/usr/bin/env bash
{%- set envs = cookiecutter.environments.split(',') %}
{%- set image = (cookiecutter.image_registry ~ '/' ~ cookiecutter.service_name) | lower %}
# The release each environment runs: k8s/overlays/<env>/release/kustomization.yaml, a kustomize Component that
# names the exact image CI pushed, tag and digest. Before its first release an environment runs no workload: the
# scaffold's file leaves the Deployment out. CI and the promotions call this script; nothing else writes releases.
#
#   scripts/release.sh set ENV {{ image }}:TAG@sha256:DIGEST
#       ENV runs that image from now on (CI, after pushing it; nothing but a pushed reference is accepted)
#   scripts/release.sh copy FROM TO
#       TO runs exactly the release FROM runs (promotion: the file is copied unchanged)
#   scripts/release.sh show ENV
#       print the image ENV runs; exit 1 if it has no release yet
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="{{ image }}"
ENVIRONMENTS=({{ envs | join(' ') }})

die() {
  echo "error: $*" >&2
  exit 1
}

release_file() {
  local env
  for env in "${ENVIRONMENTS[@]}"; do
    if [ "$env" = "$1" ]; then
      echo "k8s/overlays/$1/release/kustomization.yaml"
      return 0
    fi
  done
  die "unknown environment '$1' (environments: ${ENVIRONMENTS[*]})"
}

# show ENV: the reference in ENV's release file, or nothing.
show() {
  local file tag digest
  file=$(release_file "$1")
  tag=$(sed -n -E 's/^[[:space:]]*newTag:[[:space:]]*"([^"]+)"[[:space:]]*$/\1/p' "$file")
  digest=$(sed -n -E 's/^[[:space:]]*digest:[[:space:]]*(sha256:[0-9a-f]{64})[[:space:]]*$/\1/p' "$file")
  if [ -n "$tag" ] && [ -n "$digest" ]; then
    echo "$IMAGE:$tag@$digest"
  fi
}

set_release() {
  local file reference=$2 tag digest
  file=$(release_file "$1")
  tag=${reference#"$IMAGE:"}
  digest=${tag#*@}
  tag=${tag%%@*}
  if [ "$reference" != "$IMAGE:$tag@$digest" ] || ! [[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
    ! [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]]; then
    die "'$reference' is not a pushed image reference ($IMAGE:<tag>@sha256:<digest>)"
  fi
  # The same text for every environment, so that a promotion is a plain copy.
  cat > "$file.tmp" <<RELEASE
# Released by scripts/release.sh (CI, then promotions): the exact image CI pushed, by tag and digest.
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
images:
  - name: $IMAGE
    newTag: "$tag"
    digest: $digest
RELEASE
  mv "$file.tmp" "$file"
  echo "$1 runs $reference"
}

copy_release() {
  local from to reference
  from=$(release_file "$1")
  to=$(release_file "$2")
  reference=$(show "$1")
  [ -n "$reference" ] || die "$1 has no release to copy"
  cp "$from" "$to"
  echo "$2 runs $reference (from $1)"
}

case "${1:-} $#" in
  "set 3") set_release "$2" "$3" ;;
  "copy 3") copy_release "$2" "$3" ;;
  "show 2")
    reference=$(show "$2")
    [ -n "$reference" ] || exit 1
    echo "$reference"
    ;;
  *) die "usage: scripts/release.sh set ENV IMAGE:TAG@sha256:DIGEST | copy FROM TO | show ENV" ;;
esac
