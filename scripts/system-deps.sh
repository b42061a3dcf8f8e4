#!/usr/bin/env bash
# Debian packages the browser tests need: chromium and CJK fonts (without them Chinese renders
# as empty boxes). Installed only when missing; never a browser download.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then need+=(fonts-noto-cjk); fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing ${need[*]} with apt" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "error: ${need[*]} missing and no root to install them (apt-get install ${need[*]})" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
