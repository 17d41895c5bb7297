// The text `vdm toy --noise` prints: the settings and the surface's barrier, then per method the
// measured mean escape time with its CI and share escaped beside Kramers' prediction.
import type { EscapeResult } from './escape.js';

export function escapeReport(result: EscapeResult): string {
  const { surface, barrier, options } = result;
  const T = result.methods[0].prediction.temperature;
  const steps = (x: number) => (Number.isFinite(x) ? String(Math.round(x)) : x > 0 ? 'inf' : 'n/a');
  const lines = [
    `noisy heavy-ball descent from the sharp minimum (${surface.sharp.x}, ${surface.sharp.y}): ${options.runs} runs, at most ${options.steps} steps, ` +
      `lr ${options.lr}, gradient noise sigma ${options.sigma}, momentum ${options.momentum}, seed ${options.seed}`,
    `temperature T = lr*sigma^2/(2(1 - momentum)) = ${T.toPrecision(4)}; saddle at L = ${barrier.saddleLoss.toPrecision(4)} ` +
      `(plain barrier ${(barrier.saddleLoss - surface.sharp.loss).toPrecision(4)}, curvature ${barrier.saddleCurvature.toPrecision(3)}); ` +
      `escaped = past the line halfway from the saddle to the flat minimum`,
    '',
    `${'vdm'.padEnd(22)} ${'escaped'.padStart(7)} ${'mean steps'.padStart(10)} ${'95% CI'.padEnd(17)} ${'Kramers'.padStart(8)} ${'ratio'.padStart(5)} ` +
      `${'harmonic'.padStart(8)} ${'barrier/T'.padStart(9)} ${"phi'(L*)".padStart(8)} ${'step check'.padStart(10)}`,
  ];
  for (const m of result.methods) {
    const { estimate: e, prediction: p } = m;
    const ci = `[${steps(e.ciLow)}, ${steps(e.ciHigh)}]`;
    lines.push(
      `${m.label.padEnd(22)} ${`${(100 * e.share).toFixed(0)}%`.padStart(7)} ${steps(e.mean).padStart(10)} ${ci.padEnd(17)} ${steps(p.integralSteps).padStart(8)} ` +
        `${(Number.isFinite(m.ratio) ? m.ratio.toFixed(2) : 'n/a').padStart(5)} ${steps(p.harmonicSteps).padStart(8)} ${(Number.isNaN(p.barrier) ? 'n/a' : (p.barrier / p.temperature).toFixed(2)).padStart(9)} ` +
        `${p.scaleAtMinimum.toPrecision(3).padStart(8)} ${p.stepCheck.toPrecision(2).padStart(10)}${warning(p.barrier / p.temperature, p.stepCheck, e.share, p.temperature)}`,
    );
  }
  lines.push(
    '',
    'mean steps: censoring-aware (total observed steps / escaped runs, the exponential MLE); 95% CI: percentile bootstrap over runs.',
    "Kramers: mean first-passage time of the small-step limit, noise on grad L scaled by phi' (barrier = int dL/phi' from L* to the saddle),",
    "integral form; harmonic: its saddle-point approximation, which this surface's creased saddle defeats. ratio = mean steps / Kramers.",
    "The law is expected within about 20% when barrier/T >= 3 and the step check lr*phi'(L*)*curvature/(1 - momentum)^2 <= 0.1.",
  );
  if (result.files) lines.push('', `table:  ${result.files.table} (and ${result.files.json})`, `times:  ${result.files.times}`, `figure: ${result.files.svg}`);
  return lines.join('\n');
}

/** Says where the numbers should not be read as a test of the law. */
function warning(barrierOverT: number, stepCheck: number, share: number, temperature: number): string {
  const notes: string[] = [];
  if (temperature === 0) return '  (no noise: nothing leaves the minimum)';
  if (Number.isNaN(barrierOverT)) return "  (phi' <= 0 between the minimum and the saddle: not a VDM, no Kramers prediction)";
  if (!(barrierOverT >= 3)) notes.push('barrier < 3 T: not an activated escape');
  if (!(stepCheck <= 0.1)) notes.push('step check > 0.1: outside the small-step limit');
  if (share < 0.5) notes.push('under half escaped: raise --steps');
  return notes.length ? `  (${notes.join('; ')})` : '';
}
