#!/usr/bin/env bash
# System packages careline's own set-up needs on a fresh Debian machine (make setup runs this):
#   espeak-ng, sox  render the prompts and music on hold (`careline prompts render`, design §10).
# Installs only what is missing; as root directly, otherwise through sudo when it is there. On a machine
# with neither, it says what to install and fails, so nothing later fails in a less clear way.
set -euo pipefail

want=(espeak-ng sox)
missing=()
for cmd in "${want[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1; then
  run=(sudo -n)
else
  echo "careline needs these Debian packages: ${missing[*]} (apt-get install ${missing[*]})" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "careline needs these packages and this is not a Debian-like system: ${missing[*]}" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
  || { "${run[@]}" apt-get update -q >/dev/null && "${run[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
