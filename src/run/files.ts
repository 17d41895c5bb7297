// The result-folder file helpers now live in src/files (bounded reads, link-safe writes); this
// module only passes them on to the code that still imports them from here (the launchers).
export { readJsonIfPresent } from '../files/boundedRead.js';
export { writeFileAtomic, writeJsonAtomic } from '../files/safeWrite.js';
