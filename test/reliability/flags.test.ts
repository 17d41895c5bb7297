// Hostile command-line flags: numbers that are not numbers (were NaN), out of range or not whole,
// unknown commands and choices. One line naming the flag, exit 2, nothing written.
import { corpus, type HostileCase } from './harness.js';

const flatness = (...flags: string[]) => ['flatness', 'results', ...flags];

const cases: HostileCase[] = [
  { title: 'flatness --samples abc (was "got NaN")', args: flatness('--samples', 'abc'), message: /^--samples 'abc': not a number; expected a whole number >= 1 and <= 10000000$/ },
  { title: 'flatness --samples 1e12', args: flatness('--samples', '1e12'), message: /^--samples '1e12': too large; expected a whole number >= 1 and <= 10000000$/ },
  { title: 'flatness --samples "" (empty)', args: flatness('--samples', ''), message: /^--samples '': not a number; / },
  { title: 'flatness --iterations 2.5', args: flatness('--iterations', '2.5'), message: /^--iterations '2\.5': not a whole number; expected a whole number >= 1/ },
  { title: 'flatness --probes 1 (the trace needs two)', args: flatness('--probes', '1'), message: /^--probes '1': too small; expected a whole number >= 2/ },
  { title: 'flatness --seed -1', args: flatness('--seed', '-1'), message: /^--seed '-1': too small; expected a whole number >= 0 and <= 2147483647$/ },
  { title: 'flatness --batch-size Infinity', args: flatness('--batch-size', 'Infinity'), message: /^--batch-size 'Infinity': not a number; / },
  { title: 'flatness --relative-step 0', args: flatness('--relative-step', '0'), message: /^--relative-step '0': too small; expected a number > 0 and <= 1$/ },
  { title: 'flatness --relative-step 0x10', args: flatness('--relative-step', '0x10'), message: /^--relative-step '0x10': too large; / },
  { title: 'run --parallel many', args: ['run', 'e.yaml', '--parallel', 'many'], message: /^--parallel 'many': not a number; expected a whole number >= 1 and <= 256$/ },
  { title: 'run --parallel 0', args: ['run', 'e.yaml', '--parallel', '0'], message: /^--parallel '0': too small; / },
  { title: 'run --seeds 1,two', args: ['run', 'e.yaml', '--seeds', '1,two'], message: /^--seeds 'two': not a number; expected a whole number >= 0/ },
  { title: 'run --seeds 1,,2', args: ['run', 'e.yaml', '--seeds', '1,,2'], message: /^--seeds '': not a number; / },
  { title: 'toy --lr -1', args: ['toy', '--lr', '-1'], message: /^--lr '-1': too small; expected a number > 0$/ },
  { title: 'toy --starts 1e300', args: ['toy', '--starts', '1e300'], message: /^--starts '1e\+?300': too large; expected a whole number >= 1 and <= 1000000$/ },
  { title: 'data fetch --format bogus (was two lines from commander)', args: ['data', 'fetch', 'cifar10', '--format', 'bogus'], message: /^option '--format <format>' argument 'bogus' is invalid\. Allowed choices are auto, binary, python\. \(run with --help for usage\)$/ },
  { title: 'an unknown command', args: ['frobnicate'], message: /^unknown command 'frobnicate' \(run with --help for usage\)$/ },
  { title: 'train without a config', args: ['train'], message: /^vdm train needs a config file: vdm train FILE \[key=value\.\.\.\] \(or -c FILE\)$/ },
  { title: 'train --set without a value', args: ['train', '-c', 'missing.yaml', '--set'], message: /^option '--set <key=value>' argument missing/ },
  { title: 'data info --set size=abc', args: ['data', 'info', 'synthetic', '--set', 'size=abc'], message: /^--set: dataset\.size: expected number, got "abc"$/ },
];

corpus('flags', cases);
