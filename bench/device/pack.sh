#!/usr/bin/env bash
# Packs into .device/ (git-ignored) what a bare x64 GPU machine with no Node and no network needs
# to run the GPU benchmark: this machine's node binary (xz), the benchmark bundled into one file
# with esbuild, Dawn (dawn.node, xz), the PyTorch reference script and Debian's libvulkan1 .deb.
# bench/device/run.sh unpacks and runs it there. Usage: bench/device/pack.sh (after npm ci).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.device
app=$out/app
rm -rf "$out"
mkdir -p "$app/torch"

node_bin=$(command -v node)
if ! file -L "$node_bin" | grep -q 'x86-64'; then
  echo "pack.sh: $node_bin is not an x86-64 binary; the GPU machines are x64" >&2
  exit 1
fi
xz -T0 -6 -c "$node_bin" > "$out/node.xz"

webgpu_version=$(node -p "require('./node_modules/@tensorflow/tfjs-backend-webgpu/package.json').version")
# One ESM file. Native packages the benchmark never loads stay outside; Dawn is loaded from
# VDM_DAWN_NODE, which run.sh points at the dawn.node shipped beside the bundle.
node_modules/.bin/esbuild bench/device/entry.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile="$app/vdm-bench.mjs" --log-level=warning \
  "--banner:js=import { createRequire as vdmCreateRequire } from 'node:module'; const require = vdmCreateRequire(import.meta.url);" \
  "--define:process.env.VDM_WEBGPU_VERSION=\"$webgpu_version\"" \
  --external:sharp --external:@resvg/resvg-js --external:webgpu \
  --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$app/dawn.node.xz"
cp bench/torch/resnet20.py "$app/torch/"

# The Vulkan loader (libvulkan.so.1): the GPU machine has NVIDIA's ICD but maybe no loader.
(cd "$out" && apt-get download libvulkan1 >/dev/null)

git rev-parse HEAD > "$out/commit" 2>/dev/null || true
du -sh "$out"
bytes=$(du -sb "$out" | cut -f1)
if [ "$bytes" -ge $((64 * 1024 * 1024)) ]; then
  echo "pack.sh: $out is $bytes bytes, over the 64 MiB a device run may carry" >&2
  exit 1
fi
echo "packed $out ($(ls "$out" "$app" | tr '\n' ' '))"
