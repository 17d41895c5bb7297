// Runs a small synchronous computation on the cpu backend whatever backend is active. Config
// checks (the VDM's phi' samples) read their results with dataSync, which the webgpu backend
// cannot do in Node, and a config may be loaded while a run trains on webgpu (`vdm run`, bench).
import * as tf from '@tensorflow/tfjs';

interface EngineInternals {
  backendName: string;
  backendInstance: tf.KernelBackend;
}

/** `fn` with the cpu backend active, then the previous one again; tensors left by `fn` stay on cpu. */
export function onCpuBackend<T>(fn: () => T): T {
  // tfjs-core keeps the active backend in these two fields; tf.setBackend would be async.
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine.backendName === 'cpu') return fn();
  const cpu = tf.findBackend('cpu'); // creates the cpu backend if it does not exist yet
  const previous = { name: engine.backendName, instance: engine.backendInstance };
  engine.backendName = 'cpu';
  engine.backendInstance = cpu;
  try {
    return fn();
  } finally {
    engine.backendName = previous.name;
    engine.backendInstance = previous.instance;
  }
}
