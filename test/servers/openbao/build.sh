#!/usr/bin/env bash
# Builds the OpenBao server binary (`bao`) from the Go module pinned in go.mod,
# once per machine, and prints ONLY its absolute path on stdout (build logs go
# to stderr).
#
# Cache: ${OPENBAO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/docker-credential-bridge/openbao}/<key>/bao
# where <key> is the required openbao (pseudo-)version plus a hash of go.mod,
# go.sum, main.go and this script, so any change to them rebuilds.
#
# Needs Go >= 1.24 (`go` on PATH, or /usr/local/go/bin/go, or $GO) and the Go
# module proxy. A cold build takes several minutes on 2 cores.
#
# --cached-only: print the cached binary's path if it is there, else exit 3
# without building (and without needing Go) — for test suites, which must
# never start a cold build.
set -euo pipefail

cached_only=false
if [[ "${1:-}" == "--cached-only" ]]; then
  cached_only=true
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="github.com/openbao/openbao"

log() { printf 'openbao/build.sh: %s\n' "$*" >&2; }

# The required version, from either `require M V` or a line `M V` in a block.
version="$(awk -v m="$module" '
  $1 == "require" && $2 == m { print $3; exit }
  $1 == m && $2 ~ /^v/       { print $2; exit }
' "$here/go.mod")"
if [[ -z "$version" ]]; then
  log "cannot find the $module requirement in $here/go.mod"
  exit 1
fi

hash="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" "$here/build.sh" | sha256sum | cut -c1-12)"
cache_root="${OPENBAO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/docker-credential-bridge/openbao}"
dest_dir="$cache_root/$version-$hash"
dest="$dest_dir/bao"

if [[ -x "$dest" ]]; then
  printf '%s\n' "$dest"
  exit 0
fi
if [[ "$cached_only" == true ]]; then
  log "no cached binary at $dest (build it with: bash $here/build.sh)"
  exit 3
fi

# Go is needed only from here on: a cached binary needs no toolchain.
go_bin="${GO:-}"
if [[ -z "$go_bin" ]]; then
  if command -v go >/dev/null 2>&1; then
    go_bin="$(command -v go)"
  elif [[ -x /usr/local/go/bin/go ]]; then
    go_bin=/usr/local/go/bin/go
  else
    log "no Go toolchain found (need go >= 1.24 on PATH, at /usr/local/go/bin/go, or in \$GO)"
    exit 1
  fi
fi

mkdir -p "$dest_dir"
dest_dir="$(cd "$dest_dir" && pwd)"
dest="$dest_dir/bao"

# Serialise concurrent callers (e.g. parallel test workers) on one machine.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dest_dir/.lock"
  flock 9
  if [[ -x "$dest" ]]; then
    printf '%s\n' "$dest"
    exit 0
  fi
fi

tmp="$(mktemp "$dest_dir/bao.tmp.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

cd "$here"

# Release version and commit for `bao version` (upstream's goreleaser sets these
# via -X): the commit is the pseudo-version's hash, the version the newest entry
# of the module's CHANGELOG.md.
commit="${version##*-}"
export GOWORK=off CGO_ENABLED=0
mod_dir="$("$go_bin" mod download -json "$module" | awk -F'"' '$2 == "Dir" { print $4; exit }')" || mod_dir=""
release="$(awk '/^## [0-9]/ { print $2; exit }' "$mod_dir/CHANGELOG.md" 2>/dev/null || true)"
release="${release:-0.0.0-dev}"

log "building OpenBao $release ($version) with $("$go_bin" env GOVERSION) into $dest"
start=$SECONDS
# Upstream release builds use only the `ui` tag (embedded web UI), which is not
# wanted here, and CGO_ENABLED=0. -mod=readonly and -buildvcs=false override any
# GOFLAGS from the environment: go.mod/go.sum must already be complete.
"$go_bin" build -mod=readonly -buildvcs=false -trimpath \
  -ldflags "-s -w -X $module/version.fullVersion=$release -X $module/version.GitCommit=$commit" \
  -o "$tmp" . >&2
chmod 0755 "$tmp"
mv -f "$tmp" "$dest"
trap - EXIT
log "built in $((SECONDS - start))s"

printf '%s\n' "$dest"
