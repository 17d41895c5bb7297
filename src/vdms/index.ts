// The VDM registry: the one place a config's vdm name becomes a deformation.
import { Registry } from '../registry.js';
import { noneVdm } from './identity.js';
import { logVdm } from './log.js';
import type { VdmEntry } from './types.js';

export const vdms = new Registry<VdmEntry>('vdm', [noneVdm, logVdm]);
