// `vdm doctor`: for every backend, whether it loads on this machine, why not, and what to install.
import { autoChoice, checkBackends, type BackendCheck } from '../backend/doctor.js';

function formatCheck(check: BackendCheck): string[] {
  return [
    `${check.name.padEnd(14)} ${check.loads ? 'loads  ' : 'missing'}  ${check.detail}`,
    ...check.facts.map((fact) => `${' '.repeat(25)}${fact}`),
    `${' '.repeat(25)}needs: ${check.needs}`,
  ];
}

export async function doctorCommand(log: (line: string) => void): Promise<void> {
  const checks = await checkBackends();
  for (const check of checks) formatCheck(check).forEach((line) => log(line));
  log(`auto picks: ${await autoChoice()} (order: tfjs-node-gpu, webgpu on a GPU adapter, tfjs-node, wasm, cpu)`);
}
