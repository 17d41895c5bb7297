// Prints a training-step profile (bench/training/profile.ts) as a table: kernels by time with
// their share of the step, then the phases. Pure, so the layout is tested without timing anything.
import type { ProfileResult } from './profile.js';

const pct = (part: number, whole: number) => `${((100 * part) / (whole || 1)).toFixed(1).padStart(5)}%`;

/** Kernels under `minShare` of the step are folded into one line, so the table stays short. */
export function formatProfile(p: ProfileResult, minShare = 0.005): string[] {
  const kernelMs = p.kernels.reduce((t, k) => t + k.ms, 0);
  const calls = p.kernels.reduce((t, k) => t + k.calls, 0);
  const lines = [
    `${p.model} ${p.backend}${p.threads !== undefined ? ` x${p.threads}` : ''} batch ${p.batchSize}: ` +
      `${p.stepMs.toFixed(1)} ms/step (${((1000 * p.batchSize) / p.stepMs).toFixed(1)} img/s) over ${p.steps} profiled steps, ` +
      `${kernelMs.toFixed(1)} ms in ${calls.toFixed(0)} kernel calls, peak RSS ${p.peakRssMB.toFixed(0)} MB`,
    `  ${'kernel'.padEnd(28)} ${'ms/step'.padStart(9)} ${'step'.padStart(6)} ${'calls'.padStart(6)}`,
  ];
  const shown = p.kernels.filter((k) => k.ms >= minShare * p.stepMs);
  for (const k of shown) {
    lines.push(`  ${k.kernel.padEnd(28)} ${k.ms.toFixed(2).padStart(9)} ${pct(k.ms, p.stepMs)} ${k.calls.toFixed(0).padStart(6)}`);
  }
  const rest = p.kernels.filter((k) => !shown.includes(k));
  if (rest.length > 0) {
    const ms = rest.reduce((t, k) => t + k.ms, 0);
    const restCalls = rest.reduce((t, k) => t + k.calls, 0);
    lines.push(`  ${`(${rest.length} more kernels)`.padEnd(28)} ${ms.toFixed(2).padStart(9)} ${pct(ms, p.stepMs)} ${restCalls.toFixed(0).padStart(6)}`);
  }
  // Wall time outside kernels: tape recording, tidy/dispose, memory management, JS between ops.
  lines.push(`  ${'(outside kernels)'.padEnd(28)} ${(p.stepMs - kernelMs).toFixed(2).padStart(9)} ${pct(p.stepMs - kernelMs, p.stepMs)}`);
  const phase = (name: keyof ProfileResult['phases'], label: string) =>
    `${label} ${pct(p.phases[name].ms, p.stepMs).trim()} (${p.phases[name].ms.toFixed(1)} ms, ${pct(p.phases[name].kernelMs, p.phases[name].ms).trim()} of it in kernels)`;
  lines.push(`  phases: ${phase('forward', 'forward')}, ${phase('backward', 'backward')}, ${phase('other', 'update and rest')}`);
  return lines;
}
