#!/usr/bin/env bash
# Prints on stdout the path of a python interpreter that can import torch, for the PyTorch peers
# (gpt_torch.py, torch_kernels.py). All messages go to stderr, so `py=$(ensure-torch.sh)` works.
#
# Order of preference:
#   1. the default python3 on PATH (pyenv here, PyTorch's on a GPU machine) when it has torch;
#   2. with --wheel: the newest torch-*.whl found on this machine that fits that python3,
#      installed with `pip install --no-deps` (its dependencies are already there); a wheel that
#      installs but does not import (a CUDA build without its libraries) is removed again and the
#      next one tried;
#   3. /usr/bin/python3 with Debian's python3-torch (1.13.1, generic BLAS: a peer for correctness,
#      not for speed), installed with apt-get when missing.
# Exits 1 with a message when none of them works.
set -uo pipefail

use_wheel=0
for arg in "$@"; do
  case "$arg" in
    --wheel) use_wheel=1 ;;
    -h|--help) sed -n '2,13p' "$0" >&2; exit 0 ;;
    *) echo "ensure-torch.sh: unknown argument '$arg' (only --wheel)" >&2; exit 2 ;;
  esac
done

say() { echo "ensure-torch.sh: $*" >&2; }

# Runs a noisy installer quietly; shows the end of its output on stderr only when it fails.
quietly() {
  local log rc
  log=$(mktemp) || return 1
  "$@" >"$log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || tail -n 5 "$log" >&2
  rm -f "$log"
  return $rc
}

# Prints the interpreter's real path (not a pyenv shim) when it imports a working torch.
torch_python() {
  "$1" -c 'import sys, torch; torch.ones(2).sum().item(); print(sys.executable)' 2>/dev/null
}

wheel_version() { basename "$1" | cut -d- -f2; }

try_wheels() {
  local py tag platform
  py=$("$1" -c 'import sys; print(sys.executable)') || return 1
  if "$py" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'; then
    say "$py is managed by the system (PEP 668): no wheel goes into it"
    return 1
  fi
  tag=$("$py" -c 'import sys; print("cp%d%d" % sys.version_info[:2])') || return 1
  platform=$(uname -m)
  local wheels=()
  while IFS= read -r w; do wheels+=("$w"); done < <(
    find / \( -path /proc -o -path /sys -o -path /dev \) -prune -o -name 'torch-*.whl' -print \
        2>/dev/null | grep -- "-$tag-$tag-" | grep -- "$platform" |
      while IFS= read -r w; do echo "$(wheel_version "$w") $w"; done | sort -rV | cut -d' ' -f2-)
  if [ ${#wheels[@]} -eq 0 ]; then
    say "no torch wheel for $tag $platform on this machine"
    return 1
  fi
  local w found
  export PIP_ROOT_USER_ACTION=ignore
  for w in "${wheels[@]}"; do
    say "installing $w into $py"
    if ! quietly "$py" -m pip install -q --no-deps --disable-pip-version-check "$w"; then
      say "pip could not install $w"
      continue
    fi
    if found=$(torch_python "$py"); then
      echo "$found"
      return 0
    fi
    say "torch from $w does not import here ($("$py" -c 'import torch' 2>&1 | tail -n 1)); removing it"
    quietly "$py" -m pip uninstall -q -y torch
  done
  return 1
}

debian_torch() {
  local py=/usr/bin/python3 found sudo=""
  [ -x "$py" ] || { say "no $py"; return 1; }
  if found=$(torch_python "$py"); then echo "$found"; return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null && sudo -n true 2>/dev/null && sudo="sudo -n" ||
      { say "python3-torch is missing and installing it needs root"; return 1; }
  fi
  say "installing Debian's python3-torch with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! quietly $sudo apt-get install -y -qq python3-torch; then
    say "apt-get install failed; updating the package lists and trying again"
    quietly $sudo apt-get update -qq && quietly $sudo apt-get install -y -qq python3-torch ||
      { say "apt-get could not install python3-torch"; return 1; }
  fi
  torch_python "$py" || { say "$py still cannot import torch"; return 1; }
}

default_py=$(command -v python3 || true)
if [ -n "$default_py" ]; then
  if found=$(torch_python "$default_py"); then echo "$found"; exit 0; fi
  if [ "$use_wheel" = 1 ] && try_wheels "$default_py"; then exit 0; fi
fi
debian_torch && exit 0
say "no python with torch: no default python3 with torch, no usable wheel (--wheel), no Debian python3-torch"
exit 1
