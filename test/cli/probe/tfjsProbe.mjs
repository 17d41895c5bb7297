// Loaded with `node --import`: registers tfjsProbeHooks.mjs, which writes the URL of every
// @tensorflow module that gets resolved into the file named by $VDM_TFJS_PROBE.
import { register } from 'node:module';

register(new URL('./tfjsProbeHooks.mjs', import.meta.url), { data: { out: process.env.VDM_TFJS_PROBE } });
