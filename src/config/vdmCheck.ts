// Bridges the config boundary to the VDM library's own validation of phi over the losses it will see.
import { vdms } from '../vdms/index.js';
import type { RunConfig } from './types.js';

export function checkVdmConfig(vdm: RunConfig['vdm']): string | undefined {
  const entry = vdms.get(vdm.name);
  void entry;
  return undefined; // replaced by the VDM library's checkDeformation once it lands
}
