#!/usr/bin/env bash
# Runs the GPU benchmark on a bare GPU machine from what bench/device/pack.sh put in .device/:
# unpacks node, Dawn and the Vulkan loader into a temporary folder, points Vulkan at NVIDIA's
# driver, and runs `gpu --torch` (PyTorch CUDA reference in the same run). Results go to
# $OUT/gpu-bench.json when OUT is set. Extra arguments go to the benchmark (e.g. --batch=4).
set -euo pipefail
cd "$(dirname "$0")/../.."
packed=$(pwd)/.device
[ -f "$packed/node.xz" ] || { echo "run.sh: $packed/node.xz missing; run bench/device/pack.sh first" >&2; exit 1; }
work=$(mktemp -d)

unxz_to() { # xz -d where xz exists, else Python's lzma
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
unxz_to "$packed/node.xz" "$work/node" && chmod +x "$work/node"
cp -r "$packed/app" "$work/app"
unxz_to "$work/app/dawn.node.xz" "$work/app/dawn.node"

deb=$(ls "$packed"/libvulkan1_*.deb)
if command -v dpkg-deb >/dev/null; then
  dpkg-deb -x "$deb" "$work/vulkan"
else # a .deb is an ar archive holding data.tar.*
  python3 - "$deb" "$work/vulkan" <<'PY'
import io, sys, tarfile
data = open(sys.argv[1], 'rb').read()
pos = 8
while pos < len(data):
    name, size = data[pos:pos + 16].decode().strip().rstrip('/'), int(data[pos + 48:pos + 58])
    body = data[pos + 60:pos + 60 + size]
    if name.startswith('data.tar'):
        tarfile.open(fileobj=io.BytesIO(body)).extractall(sys.argv[2])
    pos += 60 + size + (size % 2)
PY
fi
loader_dir=$(dirname "$(find "$work/vulkan" -name 'libvulkan.so.1' | head -1)")
export LD_LIBRARY_PATH="$loader_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$nvidia_icd" ]; then export VK_DRIVER_FILES=$nvidia_icd; fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$work}
export VDM_DAWN_NODE=$work/app/dawn.node

echo "device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi')"
echo "vulkan: loader $loader_dir, driver ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-(system search)}}, NVIDIA_DRIVER_CAPABILITIES=${NVIDIA_DRIVER_CAPABILITIES:-unset}"
icd=${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-}}
if [ -n "$icd" ] && [ -f "$icd" ]; then # the driver library the ICD names must be loadable (containers: graphics capability)
  lib=$(sed -n 's/.*"library_path": *"\([^"]*\)".*/\1/p' "$icd")
  case "$lib" in
    /*) [ -f "$lib" ] && found=yes || found= ;;
    */*) [ -f "$(dirname "$icd")/$lib" ] && found=yes || found= ;; # relative to the ICD file
    *) found=$( { ldconfig -p 2>/dev/null | grep -F "$lib" ; } | head -1 || true) ;;
  esac
  if [ -n "$found" ]; then state=found; else state='not found: Dawn may find no adapter'; fi
  echo "vulkan ICD library: $lib ($state)"
fi
echo "node $("$work/node" --version), bundle of commit $(cat "$packed/commit" 2>/dev/null || echo unknown)"
# Not from app/: its torch/ folder would pass for the torch package in the python3 probe.
cd "$work"
exec "$work/node" app/vdm-bench.mjs --torch "$@"
