#!/usr/bin/env bash
# Install code-server (a real VS Code 1.100 workbench) into a cache folder outside the repo,
# for the extension's end-to-end tests. Idempotent: does nothing when it already works.
#
#   scripts/install-code-server.sh [PREFIX]
#
# PREFIX defaults to ${AMCT_EDITOR_CACHE:-$HOME/.cache/amct-lang-editors}/code-server.
# The last line printed on stdout is the path of the code-server binary.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3     # newest code-server that runs on Node 20 (VS Code 1.100.3)
RIPGREP_PKG_VERSION=1.15.11     # @vscode/ripgrep version code-server 4.100.3 pulls in
RIPGREP_VERSION=v13.0.0-10      # ripgrep release that @vscode/ripgrep 1.15.11 downloads

PREFIX=${1:-${AMCT_EDITOR_CACHE:-$HOME/.cache/amct-lang-editors}/code-server}
BIN="$PREFIX/node_modules/.bin/code-server"

log() { echo "install-code-server: $*" >&2; }

if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then
    log "already installed: $("$BIN" --version 2>/dev/null | head -n1)"
    echo "$BIN"
    exit 0
fi

# 1. System packages: build tools for node-pty/argon2/@parcel/watcher, kerberos headers,
#    ripgrep (to pre-seed @vscode/ripgrep) and chromium (for the Playwright tests).
need=()
for pkg in libkrb5-dev build-essential ripgrep chromium; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    log "apt-get install ${need[*]}"
    apt_log=$(mktemp)
    if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            $SUDO apt-get install -y -qq "${need[@]}"; } >"$apt_log" 2>&1; then
        tail -n 30 "$apt_log" >&2
        log "apt-get install failed (full log: $apt_log)"
        exit 1
    fi
    rm -f "$apt_log"
fi

# 2. @vscode/ripgrep's postinstall downloads ripgrep from GitHub, which is not reachable:
#    pre-seed its download cache with Debian's rg (a tarball with rg at its top level).
case "$(uname -m)" in
    x86_64)  rg_target=x86_64-unknown-linux-musl ;;
    aarch64) rg_target=aarch64-unknown-linux-musl ;;
    *)       rg_target="" ;;
esac
if [ -n "$rg_target" ]; then
    cache_dir="${TMPDIR:-/tmp}/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
    tarball="$cache_dir/ripgrep-$RIPGREP_VERSION-$rg_target.tar.gz"
    if [ ! -s "$tarball" ]; then
        rg_path=$(command -v rg)
        stage=$(mktemp -d)
        cp "$rg_path" "$stage/rg"
        mkdir -p "$cache_dir"
        tar -czf "$tarball" -C "$stage" rg
        rm -rf "$stage"
        log "pre-seeded $tarball from $rg_path"
    fi
fi

# 3. argon2, node-pty and @parcel/watcher are built from source, and node-gyp downloads the Node
#    headers from nodejs.org (not reachable) unless told where the installed ones are.
if [ -z "${npm_config_nodedir:-}" ]; then
    node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
    headers="$node_prefix/include/node/node_version.h"
    if [ -f "$headers" ]; then
        version=$(awk '/define NODE_(MAJOR|MINOR|PATCH)_VERSION/ {printf "%s%s", sep, $3; sep="."}' "$headers")
        if [ "v$version" = "$(node --version)" ]; then
            export npm_config_nodedir="$node_prefix"
        fi
    fi
fi

# 4. npm install into a local folder (npm install -g fails with npm 11 in the nested install).
#    npm_config_yes=true: node-pty's postinstall runs `npx node-gyp`, which yes=false cancels.
#    npm_config_unsafe_perm=true: code-server's postinstall refuses to run as root without it.
mkdir -p "$PREFIX"
cd "$PREFIX"
[ -f package.json ] || echo '{ "private": true, "description": "code-server for amct-lang editor tests" }' > package.json
log "npm install code-server@$CODE_SERVER_VERSION into $PREFIX (takes 1-3 minutes)"
start=$(date +%s)
npm_config_yes=true npm_config_unsafe_perm=true npm install --no-fund --no-audit --loglevel=error \
    "code-server@$CODE_SERVER_VERSION" >&2
log "npm install took $(( $(date +%s) - start )) s"

if ! "$BIN" --version >/dev/null 2>&1; then
    log "code-server was installed but '$BIN --version' fails"
    exit 1
fi
log "installed: $("$BIN" --version 2>/dev/null | head -n1)"
echo "$BIN"
