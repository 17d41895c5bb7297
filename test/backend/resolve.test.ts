import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { BackendError } from '../../src/errors.js';
import { importBackendPackage, selectBackend, type ModuleLoader } from '../../src/backend/resolve.js';

const notInstalled = (name: string) => Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' });

/** A stand-in for a native package: registers the cpu backend under the name 'tensorflow'. */
function registerFakeTensorflowBackend(): void {
  if (tf.findBackendFactory('tensorflow') !== null) return;
  tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), { firstUse: false }));
  for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: 'tensorflow' });
}

/** The real loader, except that the native packages are missing, or replaced by the stand-in for `installed`. */
function loaderWith(installed: string[] = [], broken: string[] = []): ModuleLoader {
  return async (name) => {
    if (broken.includes(name)) throw new Error(`${name} exploded\nwith a long stack`);
    if (installed.includes(name)) {
      registerFakeTensorflowBackend();
      return { version: '9.9.9-fake' };
    }
    if (name.startsWith('@tensorflow/tfjs-node') || name === '@tensorflow/tfjs-backend-webgpu') throw notInstalled(name);
    return importBackendPackage(name);
  };
}

// Runs first: the cpu backend prints its banner on its first tensor write in this process.
test('cpu prints no "running TensorFlow.js in Node.js" banner', async () => {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
  try {
    await selectBackend('cpu');
    tf.tensor([1, 2]).dispose();
  } finally {
    console.warn = original;
  }
  assert.deepEqual(warnings.filter((w) => w.includes('looks like you are running')), []);
});

test('cpu: activates cpu and records the package version', async () => {
  const report = await selectBackend('cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.equal(report.name, 'cpu');
  assert.equal(report.requested, 'cpu');
  assert.equal(report.package, '@tensorflow/tfjs-backend-cpu');
  assert.match(report.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(report.skipped, []);
});

test('wasm: activates wasm and registers the missing Conv2DBackpropFilter', async () => {
  const report = await selectBackend('wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(report.name, 'wasm');
  assert.match(report.version, /^\d+\.\d+\.\d+/);
  assert.notEqual(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);
});

test('auto without native packages falls back to wasm and says why', async () => {
  const report = await selectBackend('auto', loaderWith());
  assert.equal(report.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.deepEqual(report.skipped, [
    { backend: 'tensorflow', reason: '@tensorflow/tfjs-node-gpu: not installed' },
    { backend: 'webgpu', reason: '@tensorflow/tfjs-backend-webgpu: not installed' },
    { backend: 'tensorflow', reason: '@tensorflow/tfjs-node: not installed' },
  ]);
});

test('auto falls back to cpu when wasm fails too, keeping the first line of the error', async () => {
  const report = await selectBackend('auto', loaderWith([], ['@tensorflow/tfjs-backend-wasm']));
  assert.equal(report.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.equal(report.skipped.length, 4);
  assert.deepEqual(report.skipped[3], { backend: 'wasm', reason: '@tensorflow/tfjs-backend-wasm: @tensorflow/tfjs-backend-wasm exploded' });
});

test('auto prefers a native package that loads (gpu missing, cpu build present)', async () => {
  const report = await selectBackend('auto', loaderWith(['@tensorflow/tfjs-node']));
  assert.equal(report.name, 'tensorflow');
  assert.equal(tf.getBackend(), 'tensorflow');
  assert.equal(report.package, '@tensorflow/tfjs-node');
  assert.equal(report.version, '9.9.9-fake');
  assert.deepEqual(report.skipped, [
    { backend: 'tensorflow', reason: '@tensorflow/tfjs-node-gpu: not installed' },
    { backend: 'webgpu', reason: '@tensorflow/tfjs-backend-webgpu: not installed' },
  ]);
  assert.equal(tf.tensor([1, 2]).sum().dataSync()[0], 3);
});

test('tensorflow tries the gpu package first', async () => {
  const report = await selectBackend('tensorflow', loaderWith(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']));
  assert.equal(report.package, '@tensorflow/tfjs-node-gpu');
  assert.deepEqual(report.skipped, []);
});

test('tensorflow without native packages is a one-line BackendError saying what was tried and how to get it', async () => {
  await assert.rejects(selectBackend('tensorflow', loaderWith()), (error: unknown) => {
    assert.ok(error instanceof BackendError);
    assert.doesNotMatch(error.message, /\n/);
    assert.match(error.message, /@tensorflow\/tfjs-node-gpu: not installed; @tensorflow\/tfjs-node: not installed/);
    assert.match(error.message, /npm install @tensorflow\/tfjs-node-gpu/);
    assert.match(error.message, /CUDA 11\.2 \+ cuDNN 8\.1/);
    return true;
  });
});

test('a broken native install is reported by its error, not as "not installed"', async () => {
  const binding = '/x/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node';
  const loader: ModuleLoader = async (name) => {
    if (name === '@tensorflow/tfjs-node') throw Object.assign(new Error(`Cannot find module '${binding}'`), { code: 'MODULE_NOT_FOUND' });
    return loaderWith()(name);
  };
  const report = await selectBackend('auto', loader);
  assert.equal(report.skipped[2]?.reason, `@tensorflow/tfjs-node: Cannot find module '${binding}'`);
});

test('wasm that cannot load is a BackendError, not a silent fallback', async () => {
  await assert.rejects(selectBackend('wasm', loaderWith([], ['@tensorflow/tfjs-backend-wasm'])), BackendError);
});

test('selecting again switches back and forth', async () => {
  for (const choice of ['cpu', 'wasm', 'cpu', 'wasm'] as const) {
    const report = await selectBackend(choice);
    assert.equal(report.name, choice);
    assert.equal(tf.getBackend(), choice);
    assert.equal(tf.tensor([1, 2, 3]).sum().dataSync()[0], 6);
  }
});

const gpuAdapter = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100', cpu: false };
const swiftShader = { vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device', description: 'SwiftShader driver 5.0.0', cpu: true };

/** A stand-in for Dawn: registers the cpu backend under the name 'webgpu' and reports `adapter`. */
function loaderWithAdapter(adapter: typeof gpuAdapter): ModuleLoader {
  return async (name) => {
    if (name !== '@tensorflow/tfjs-backend-webgpu') return loaderWith()(name);
    if (tf.findBackendFactory('webgpu') === null) {
      tf.registerBackend('webgpu', () => {
        const backend = new MathBackendCPU();
        return Object.assign(backend, { firstUse: false, tensorMap: backend.data }); // tensorMap: what cacheOnHost tracks on the real one
      });
      for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: 'webgpu' });
    }
    return { version: '4.22.0', adapter };
  };
}

test('auto skips a CPU WebGPU adapter (SwiftShader) and says how to use it anyway', async () => {
  const report = await selectBackend('auto', loaderWithAdapter(swiftShader));
  assert.equal(report.name, 'wasm');
  assert.match(report.skipped[1]!.reason, /^@tensorflow\/tfjs-backend-webgpu: only a CPU adapter \(google \/ swiftshader .*SwiftShader driver 5\.0\.0 \(CPU adapter\)\); set backend: webgpu/);
});

test('auto takes webgpu on a GPU adapter, after tfjs-node-gpu, and reports the adapter', async () => {
  const report = await selectBackend('auto', loaderWithAdapter(gpuAdapter));
  assert.equal(report.name, 'webgpu');
  assert.equal(tf.getBackend(), 'webgpu');
  assert.deepEqual(report.adapter, gpuAdapter);
  assert.deepEqual(report.skipped, [{ backend: 'tensorflow', reason: '@tensorflow/tfjs-node-gpu: not installed' }]);
});

test('webgpu named explicitly takes a CPU adapter', async () => {
  const report = await selectBackend('webgpu', loaderWithAdapter(swiftShader));
  assert.equal(report.name, 'webgpu');
  assert.equal(report.adapter?.cpu, true);
});

test('webgpu that cannot load is a BackendError that names the Vulkan driver it needs', async () => {
  await assert.rejects(selectBackend('webgpu', loaderWith()), (error: unknown) => {
    assert.ok(error instanceof BackendError);
    assert.match(error.message, /@tensorflow\/tfjs-backend-webgpu: not installed\); .*libvulkan1.*Vulkan driver.*graphics/);
    return true;
  });
});
