// Bridges the config boundary to the VDM library's own check of phi over the losses it will see.
import { checkDeformation } from '../vdms/validate.js';
import { vdms } from '../vdms/index.js';
import type { RunConfig } from './types.js';

export function checkVdmConfig(vdm: RunConfig['vdm']): string | undefined {
  return checkDeformation({ entry: vdms.get(vdm.name), params: vdm.params, options: vdm.options });
}
