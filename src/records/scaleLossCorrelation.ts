// How much a run's gradient scale follows each batch's loss: the correlation, within epochs, of
// the per-step scale (steps.csv grad_scale) with the per-step batch loss. A VDM's phi'(L) follows
// the loss (log: strongly negative); the step-size control's c_t must not (0 by construction
// under epoch_mean smoothing, where c_t is constant within an epoch).

/** The pooled within-epoch Pearson correlation of scale and loss; 0 where the scale never varies within an epoch. */
export function withinEpochCorrelation(epoch: ArrayLike<number>, scale: ArrayLike<number>, loss: ArrayLike<number>): number | null {
  const byEpoch = new Map<number, number[]>();
  for (let i = 0; i < epoch.length; i++) {
    if (!Number.isFinite(scale[i]) || !Number.isFinite(loss[i])) continue;
    const steps = byEpoch.get(epoch[i]);
    if (steps === undefined) byEpoch.set(epoch[i], [i]);
    else steps.push(i);
  }
  if (byEpoch.size === 0) return null;
  // Exact equality, not a small variance: the mean of n equal floats is not always that float.
  const constant = [...byEpoch.values()].every((steps) => steps.every((i) => scale[i] === scale[steps[0]]));
  if (constant) return 0;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const steps of byEpoch.values()) {
    const meanScale = steps.reduce((sum, i) => sum + scale[i], 0) / steps.length;
    const meanLoss = steps.reduce((sum, i) => sum + loss[i], 0) / steps.length;
    for (const i of steps) {
      const [dx, dy] = [scale[i] - meanScale, loss[i] - meanLoss];
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** The same from steps.csv text (rows in any state: a partial or diverged run gives what it has); null without the columns. */
export function scaleLossCorrelationOfCsv(text: string): number | null {
  const [headerLine, ...rows] = text.split('\n').filter((line) => line !== '');
  const header = (headerLine ?? '').split(',');
  const [epochAt, scaleAt, lossAt] = ['epoch', 'grad_scale', 'loss'].map((name) => header.indexOf(name));
  if (epochAt < 0 || scaleAt < 0 || lossAt < 0) return null;
  const cells = rows.map((row) => row.split(','));
  return withinEpochCorrelation(
    cells.map((c) => Number(c[epochAt])),
    cells.map((c) => Number(c[scaleAt])),
    cells.map((c) => Number(c[lossAt])),
  );
}
