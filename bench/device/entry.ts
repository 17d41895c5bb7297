// Entry of the device bundle (bench/device/pack.sh): the GPU benchmark alone, as one file that
// runs with a bare `node` and no node_modules. Arguments as for `npm run bench -- gpu`.
import { bench } from '../gpu.js';

await bench();
