// The VDM registry: the one place a config's vdm name becomes a deformation.
import { Registry } from '../registry.js';
import { expVdm } from './exp.js';
import { exprVdm } from './expr.js';
import { floodVdm } from './flood.js';
import { noneVdm } from './identity.js';
import { atanVdm, linearBandVdm, logexpVdm, sechVdm } from './llr.js';
import { logVdm } from './log.js';
import { powerVdm } from './power.js';
import { recordedScaleVdm } from './recordedScale.js';
import { scaleVdm } from './scale.js';
import type { VdmEntry } from './types.js';

export const vdms = new Registry<VdmEntry>('vdm', [
  noneVdm,
  scaleVdm,
  logVdm,
  powerVdm,
  expVdm,
  atanVdm,
  logexpVdm,
  sechVdm,
  linearBandVdm,
  exprVdm,
  recordedScaleVdm,
  floodVdm,
]);
