// Bridges the config boundary to the VDM library's own check of phi over the losses it will see.
import { checkDeformation, deformationNote } from '../vdms/validate.js';
import { vdms } from '../vdms/index.js';
import type { RunConfig } from './types.js';

export function checkVdmConfig(vdm: RunConfig['vdm']): string | undefined {
  return checkDeformation({ entry: vdms.get(vdm.name), params: vdm.params, options: vdm.options });
}

/** A note (not a problem) on a config's VDM, such as flood's ascent below its level. */
export function vdmConfigNote(vdm: RunConfig['vdm']): string | undefined {
  return deformationNote({ entry: vdms.get(vdm.name), params: vdm.params, options: vdm.options });
}
