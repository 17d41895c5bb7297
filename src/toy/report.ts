// The text `vdm toy` prints: per VDM, where the starts ended and, per minimum, phi'(L*) with the
// predicted largest stable curvature 2/(lr*phi'(L*)) next to the actual curvature.
import type { ToyResult } from './run.js';

export function toyReport(result: ToyResult): string {
  const { surface, lr, steps, startCount } = result;
  const { sharp, flat } = surface;
  const percent = (x: number) => `${(100 * x).toFixed(0)}%`.padStart(6);
  const lines = [
    `toy surface: sharp minimum at (${sharp.x}, ${sharp.y}) with L* = ${sharp.loss}, curvature ${sharp.curvature}; ` +
      `flat minimum at (${flat.x}, ${flat.y}) with L* = ${flat.loss}, curvature ${flat.curvature}`,
    `gradient descent, lr ${lr}, ${steps} steps from ${startCount} starts; a minimum is stable if curvature < 2/(lr*phi'(L*))`,
    '',
    `${'vdm'.padEnd(22)} ${'sharp'.padStart(6)} ${'flat'.padStart(6)} ${'neither'.padStart(7)}   ${'sharp: phi\'  2/(lr*phi\') vs curv'.padEnd(36)} flat: phi'  2/(lr*phi') vs curv`,
  ];
  for (const run of result.runs) {
    const columns = run.stability.map((s) => {
      const verdict = s.stable ? 'stable' : 'UNSTABLE';
      return `${s.scale.toPrecision(3).padStart(11)}  ${s.curvatureLimit.toPrecision(3).padStart(7)} vs ${String(s.curvature).padEnd(3)} ${verdict.padEnd(8)}`;
    });
    lines.push(
      `${run.label.padEnd(22)} ${percent(run.shares.sharp)} ${percent(run.shares.flat)} ${percent(run.shares.other).padStart(7)}   ${columns[0].padEnd(36)} ${columns[1]}`,
    );
    if (run.warning) lines.push(`${''.padEnd(22)} note: ${run.warning}`);
  }
  lines.push('', "neither: still moving after the last step (e.g. a 2-cycle around an unstable minimum, where phi' falls as the loss rises) or stalled elsewhere");
  if (result.files) lines.push('', `end points: ${result.files.csv}`, `figure:     ${result.files.svg}`);
  return lines.join('\n');
}
