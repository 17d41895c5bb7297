// The vdm command line: declares the commands and their flags, and is the one place that
// prints errors and chooses exit codes. Each command's logic lives in src/commands/.
// Commands are imported when they run (`await import`), never here: --help, --version and usage
// errors answer without loading TensorFlow.js (test/cli/lazyLoad.test.ts holds this file to it).
import { join } from 'node:path';
import { Argument, Command, CommanderError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { splitPositionals } from '../config/overrides.js';
import { BACKEND_CHOICES } from '../backend/choices.js';
import { HVP_METHODS } from '../flatness/hvpMethods.js';
import { integerListFlag, numberFlag } from './numberFlags.js';
import { checkNotExperiment, checkRunInputs, listKind } from './precheck.js';
import { allCommands, rewordUsageError } from './usage.js';
import { ExitCode, UsageError, VdmError, exitCodeFor, explained } from '../errors.js';
import { VDM_VERSION } from '../run/provenance.js';
import { runImmediateExitCallbacks } from '../shutdown.js';

/** Seeds are 31-bit, as in a config. */
const SEED_MAX = 2 ** 31 - 1;
/** How many examples a flag may ask for: as many as any data set has. */
const COUNT = { integer: true, min: 1, max: 10_000_000 } as const;

const out = (line: string) => process.stdout.write(`${line}\n`);
const collect = (value: string, previous: string[]) => [...previous, value];
const parseInteger = (value: string) => (/^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN);

/**
 * Aborted by the first Ctrl-C or SIGTERM: the run stops after its current step and saves that
 * position. A second one quits at once, after the exit-time callbacks (run.json's status).
 */
function interruptSignal(): AbortSignal {
  stopListening?.();
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) {
      runImmediateExitCallbacks();
      process.exit(ExitCode.interrupted);
    }
    process.stderr.write('\nvdm: stopping after the current step (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGUSR1', onSignal); // Slurm's warning ahead of a time limit (--signal=USR1@120)
  stopListening = () => {
    for (const name of ['SIGINT', 'SIGTERM', 'SIGUSR1'] as const) process.off(name, onSignal);
    stopListening = undefined;
  };
  return controller.signal;
}

/** Removes the handlers of the last interruptSignal(): main() may run many times in one process (tests). */
let stopListening: (() => void) | undefined;

/**
 * TensorFlow.js, quiet on its default backend: config checks run tensor ops before any backend is
 * chosen. Called by each command that loads a config or a model, just before importing it.
 */
async function loadTensorFlow(): Promise<void> {
  const { quietDefaultBackend } = await import('../backend/resolve.js');
  await quietDefaultBackend();
}

/** `--set key=value` pairs for commands that take plain parameters; values read as YAML. */
function parseKeyValues(flags: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(
    flags.map((flag) => {
      const eq = flag.indexOf('=');
      if (eq <= 0) throw new UsageError(`--set '${flag}' is not of the form key=value`);
      try {
        return [flag.slice(0, eq), parseYaml(flag.slice(eq + 1))];
      } catch (error) {
        throw new UsageError(`--set '${flag}': the value is not YAML (${(error as Error).message.split('\n')[0]})`);
      }
    }),
  );
}

export function buildProgram(): Command {
  const program = new Command('vdm')
    .description('Experiment runner for loss-surface deformation (vertical deformation mappings) on TensorFlow.js')
    .version(VDM_VERSION)
    .option('--debug', 'print stack traces for errors')
    .showSuggestionAfterError(false) // usage.ts gives the hint, with the registries' rule
    .exitOverride();

  program
    .command('train')
    .description('train one run from a YAML config and write its result folder')
    .argument('[config]', 'run config (YAML), or give it with -c')
    .argument('[overrides...]', 'key=value overrides, e.g. optimizer.lr=0.01 epochs=2 (the run gets its own folder)')
    .option('-c, --config <file>', 'run config (YAML)')
    .option('--set <key=value>', 'override a config value, e.g. --set optimizer.lr=0.05 (repeatable)', collect, [])
    .option('--name <name>', "the run's name (its folder) instead of one built from the overrides")
    .option('--force', 'replace an existing completed run folder')
    .option('--resume', 'continue an interrupted or crashed run from its last checkpoint (same config)')
    .option('-q, --quiet', 'plain one-line-per-epoch output instead of progress bars')
    .action(async (first: string | undefined, rest: string[], opts: { config?: string; set: string[] }) => {
      // With -c, the first positional word is an override, not the config: split them all alike.
      const { files, overrides } = splitPositionals(first === undefined ? rest : [first, ...rest], 'train');
      if (opts.config && files.length > 0) throw new UsageError(`vdm train got two configs, -c ${opts.config} and '${files[0]}'; give one`);
      const config = opts.config ?? files[0];
      if (config === undefined) throw new UsageError('vdm train needs a config file: vdm train FILE [key=value...] (or -c FILE)');
      checkNotExperiment(config);
      await loadTensorFlow();
      const { trainCommand } = await import('../commands/train.js');
      await trainCommand({ ...opts, config, set: [...overrides, ...opts.set] }, out, interruptSignal());
    });

  program
    .command('run')
    .description('run an experiment: every variant x seed (completed runs skipped), then compare them')
    .argument('<experiment>', 'experiment file (YAML)')
    .argument('[overrides...]', 'key=value overrides of every run, e.g. epochs=2')
    .option('--set <key=value>', 'override a config value of every run (repeatable)', collect, [])
    .option('--sweep <key=values>', 'one variant per value, e.g. --sweep optimizer.lr=0.01,0.05 (repeatable: every combination)', collect, [])
    .option('--name <name>', "the experiment's name (its folder) instead of one built from the overrides")
    .option('--dry-run', 'list the runs it would start, with folders and overrides, and stop')
    .option('--parallel <n>', 'run this many training processes at once', numberFlag('--parallel', { integer: true, min: 1, max: 256 }), 1)
    .option('--force', 'rerun completed runs too, replacing them')
    .option('--only <run>', "run only 'variant' or 'variant/seed-N' (repeatable)", collect, [])
    .option('--seeds <list>', 'comma-separated seeds instead of the file\'s', integerListFlag('--seeds', { min: 0, max: SEED_MAX }))
    .option('--flatness', "measure every completed run's Hessian figures (vdm flatness) before comparing")
    .option('--evidence [settings]', 'after training: flatness, 1-D/2-D landscapes, interpolations and the full HTML report; optional key=value,... overrides (steps, grid, samples, ...; see README)')
    .option('--evidence-chunks <k>', 'slurm, with --evidence: split each 2-D grid into K row chunks, one array task each (default 1)', numberFlag('--evidence-chunks', { integer: true, min: 1 }))
    .option('--evidence-task <n>', 'run only evidence task N here, as an evidence array task does', numberFlag('--evidence-task', { integer: true, min: 0 }))
    .option('--evidence-report', 'merge the evidence chunks, then draw, compare and write the report, as the report job does')
    .option('--no-compare', 'skip the comparison at the end')
    .option('--task <n>', 'run only task N (its index in --dry-run), as a scheduler task does', parseInteger)
    .option('--task-offset <n>', 'with --task: run task N + this (a second Indexed Job counts from 0)', numberFlag('--task-offset', { integer: true, min: 0 }))
    .option('--on <scheduler>', 'hand the runs to a scheduler instead of running them here: slurm or k8s')
    .option('--emit', 'with --on: write the job files without submitting them')
    .option('--max-parallel <k>', 'with --on: at most K runs at once', parseInteger)
    .option('--partition <name>', 'slurm: partition')
    .option('--time <limit>', 'slurm: time limit per run, e.g. 12:00:00')
    .option('--compare-time <limit>', 'slurm: time limit of the comparison job (default 1:00:00)')
    .option('--setup <command>', "slurm: a shell line run before vdm in every job, e.g. --setup 'module load nodejs' (repeatable)", collect, [])
    .option('--max-requeues <n>', 'slurm: times a task requeues itself after USR1 / the time-limit signal (default 10)', numberFlag('--max-requeues', { integer: true, min: 0 }))
    .option('--gpus <n>', 'slurm/k8s: GPUs per run', parseInteger)
    .option('--cpus <n>', 'slurm/k8s: CPUs per run (slurm: a whole number; k8s: 4, 1.5 or 500m)')
    .option('--memory <size>', 'slurm/k8s: memory per run (slurm: 16G, k8s: 16Gi)')
    .option('--sbatch-arg <flag>', "slurm: an extra '#SBATCH' line, e.g. --sbatch-arg=--account=abc (repeatable)", collect, [])
    .option('--image <image>', 'k8s: container image with vdm installed')
    .option('--pvc <claim>', 'k8s: PersistentVolumeClaim for the results, mounted at the output folder')
    .option('--namespace <name>', 'k8s: namespace of the job')
    .option('--workdir <dir>', 'k8s: folder in the container relative paths resolve against (default /work)')
    .option('--retries <n>', 'k8s: failed pods tolerated per run (backoffLimitPerIndex, default 3)', numberFlag('--retries', { integer: true, min: 0 }))
    .action(async (file: string, words: string[], opts) => {
      const { files, overrides } = splitPositionals(words, 'run');
      if (files.length > 0) throw new UsageError(`vdm run takes one experiment file; '${files[0]}' is neither it nor a key=value override`);
      checkRunInputs(file, [...overrides, ...opts.set], opts.sweep);
      await loadTensorFlow();
      const { runCommand } = await import('../commands/run.js');
      await runCommand(file, { ...opts, set: [...overrides, ...opts.set] }, out, interruptSignal());
    });

  program
    .command('status')
    .description('per run of an experiment: pending / running / completed / failed / interrupted, with Slurm queue states')
    .argument('<experiment>', 'experiment file (YAML)')
    .argument('[overrides...]', 'the key=value overrides it was run with')
    .option('--set <key=value>', 'an override it was run with (repeatable)', collect, [])
    .option('--sweep <key=values>', 'a sweep it was run with (repeatable)', collect, [])
    .option('--name <name>', 'the name it was run with')
    .action(async (file: string, words: string[], opts: { set: string[]; sweep: string[]; name?: string }) => {
      const { files, overrides } = splitPositionals(words, 'status');
      if (files.length > 0) throw new UsageError(`vdm status takes one experiment file; '${files[0]}' is neither it nor a key=value override`);
      await loadTensorFlow();
      const { statusCommand } = await import('../commands/status.js');
      out(statusCommand(file, { overrides: [...overrides, ...opts.set], sweeps: opts.sweep, name: opts.name }));
    });

  program
    .command('list')
    .description('list registered models, datasets, optimizers, schedules and vdms')
    .addArgument(new Argument('[kind]', 'models|datasets|optimizers|schedules|vdms'))
    .action(async (kind?: string) => {
      const checked = listKind(kind); // a misspelt kind is answered before the registries load
      await loadTensorFlow();
      const { listCommand } = await import('../commands/list.js');
      out(listCommand(checked));
    });

  const data = program.command('data').description('get data sets onto disk and describe them');
  data
    .command('fetch')
    .description('download a data set (cifar10, cifar100), verify its MD5 and put it in place')
    .argument('<name>', 'data set name')
    .option('--root <dir>', 'folder the data set lives in', 'data')
    .addOption(new Option('--format <format>', 'which CIFAR version').choices(['auto', 'binary', 'python']).default('auto'))
    .action(async (name: string, opts: { root: string; format: 'auto' | 'binary' | 'python' }) => {
      await loadTensorFlow();
      const { fetchDataset } = await import('../commands/data.js');
      await fetchDataset(name, opts.root, { format: opts.format, signal: interruptSignal() });
    });
  data
    .command('info')
    .description('print sizes, classes, mean/std and where a data set reads from')
    .argument('<name>', 'data set name')
    .option('--set <key=value>', 'a dataset parameter, e.g. --set root=data (repeatable)', collect, [])
    .action(async (name: string, opts: { set: string[] }) => {
      await loadTensorFlow();
      const { datasetInfo } = await import('../commands/data.js');
      out(JSON.stringify(await datasetInfo(name, parseKeyValues(opts.set)), null, 2));
    });

  program
    .command('compare')
    .description('compare run folders: per-variant accuracy, deltas vs the baseline with 95% CIs and p-values, plots, report')
    .argument('<inputs...>', 'result folders or experiment folders (searched for runs)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'markdown', 'csv', 'json']).default('table'))
    .option('--out <dir>', 'write every format, the plots and report.html here')
    .option('--report <file>', 'write a self-contained HTML report')
    .option('--baseline <variant>', 'the variant the others are compared with')
    .option('--include-incomplete', 'include failed, diverged or unfinished runs in the statistics')
    .action(async (inputs: string[], opts) => {
      await loadTensorFlow();
      const { runCompare } = await import('../commands/compare.js');
      process.stdout.write(await runCompare(inputs, opts));
    });

  program
    .command('flatness')
    .description("Hessian top eigenvalue and trace of the plain loss at each completed run's final weights (writes flatness.json)")
    .argument('<inputs...>', 'run folders, folders of runs, or experiment files')
    .option('--samples <n>', 'training examples the loss is taken over (seeded, class-balanced)', numberFlag('--samples', COUNT))
    .option('--iterations <n>', 'power-iteration steps at most (default 20)', numberFlag('--iterations', { integer: true, min: 1, max: 10_000 }))
    .option('--probes <n>', 'Hutchinson probes for the trace (default 10)', numberFlag('--probes', { integer: true, min: 2, max: 10_000 }))
    .option('--batch-size <n>', "evaluation batch size (default: the run's)", numberFlag('--batch-size', { integer: true, min: 1, max: 65_536 }))
    .addOption(new Option('--backend <name>', "backend (default: the run's)").choices([...BACKEND_CHOICES]))
    .option('--seed <n>', 'seed of the subset, start vector and probes (default 0: the same for every run)', numberFlag('--seed', { integer: true, min: 0, max: SEED_MAX }))
    .addOption(new Option('--hvp <method>', 'Hessian-vector products: exact (nested gradients) or finite-difference (the old fallback, biased on ReLU nets) (default exact)').choices([...HVP_METHODS]))
    .option('--relative-step <x>', 'finite-difference step as a fraction of the weight norm (default 1e-3; --hvp finite-difference only)', numberFlag('--relative-step', { min: 0, exclusiveMin: true, max: 1 }))
    .option('--top-k <k>', 'also the k largest Hessian eigenvalues, by deflation (default 1: lambda_max only)', numberFlag('--top-k', { integer: true, min: 1, max: 100 }))
    .option('--epsilon <x>', 'epsilon-sharpness box |delta_i| <= x (|w_i| + 1) (default 1e-3)', numberFlag('--epsilon', { min: 0, exclusiveMin: true, max: 1 }))
    .option('--rho <x>', 'adaptive worst-case radius ||delta / |w| ||_2 <= x (default 0.05)', numberFlag('--rho', { min: 0, exclusiveMin: true, max: 10 }))
    .option('--sigma <x>', 'adaptive average-case noise delta = x |w| z (default 0.01)', numberFlag('--sigma', { min: 0, exclusiveMin: true, max: 10 }))
    .option('--ascent-steps <n>', 'gradient-ascent steps of the worst-case sharpness figures (default 10)', numberFlag('--ascent-steps', { integer: true, min: 1, max: 10_000 }))
    .option('--noise-samples <n>', 'noise draws of the average case (default 10)', numberFlag('--noise-samples', { integer: true, min: 2, max: 10_000 }))
    .addOption(new Option('--which <weights>', "last: the trained weights (flatness.json); swa: the run's SWA average (flatness-swa.json)").choices(['last', 'swa']))
    .action(async (inputs: string[], opts) => {
      await loadTensorFlow();
      const { flatnessCommand } = await import('../commands/flatness.js');
      await flatnessCommand(inputs, opts, out);
    });

  program
    .command('export')
    .description("write a run's final weights for PyTorch (torchvision names for the ImageNet ResNets)")
    .argument('<run>', 'run folder')
    .addOption(new Option('--format <format>', 'file format').choices(['safetensors']).default('safetensors'))
    .option('--out <file>', 'where to write (default: <run>/model.safetensors)')
    .addOption(new Option('--which <checkpoint>', "the last epoch's weights, the best epoch's (checkpoint.best), or the SWA average (swa:; default out model-swa.safetensors)").choices(['last', 'best', 'swa']).default('last'))
    .action(async (run: string, opts: { format: string; out?: string; which: string }) => {
      await loadTensorFlow();
      const { exportCommand } = await import('../commands/export.js');
      await exportCommand(run, opts, out);
    });

  program
    .command('landscape')
    .description('filter-normalised 1-D/2-D loss landscapes of completed runs, or the line between two runs (writes landscape/ and plots)')
    .argument('<inputs...>', 'run folders, folders of runs, or experiment files (with --between: run A and run B)')
    .option('--dims <n>', 'directions: 1 (a curve) or 2 (a map) (default 1)')
    .option('--range <low:high>', 'coordinates along each direction (default -1:1; with --between alpha -0.5:1.5)')
    .option('--steps <n>', 'points per axis (default 51)')
    .option('--samples <n>', 'examples each point is evaluated on (seeded, class-balanced; default 2048)')
    .option('--seed <n>', 'seed of the directions and the examples (default 0: the same for every run)')
    .option('--ignore <what>', "biasbn: biases and BatchNorm parameters stay fixed (default); none: they move too")
    .option('--bn <mode>', "stored: the run's BatchNorm statistics (default); recompute: re-estimated at each point")
    .option('--split <splits>', 'train, test or train,test (default train)')
    .option('--between', 'interpolate weights and BatchNorm statistics between the two runs given')
    .option('--batch-size <n>', "evaluation batch size (default: the run's)")
    .option('--backend <name>', "auto, tensorflow, webgpu, wasm or cpu (default: the run's)")
    .option('--out <dir>', 'folder for the plots (default: landscape/ in the run, or beside the runs)')
    .addOption(new Option('--which <weights>', "last: the trained weights (default); swa: each run's SWA average (files marked -swa)").choices(['last', 'swa']))
    .option('--dry-run', 'print the points, forward passes and a timed estimate, and stop')
    .option('-q, --quiet', 'plain progress lines instead of a bar')
    .action(async (inputs: string[], opts) => {
      await loadTensorFlow();
      const { landscapeCommand } = await import('../commands/landscape.js');
      await landscapeCommand(inputs, opts, out, interruptSignal());
    });

  program
    .command('doctor')
    .description('for every backend: whether it loads here, why not, and what to install')
    .action(async () => {
      await loadTensorFlow();
      const { doctorCommand } = await import('../commands/doctor.js');
      await doctorCommand(out);
    });

  program
    .command('toy')
    .description('gradient descent on a 2-D surface with a sharp and a flat minimum: where do plain and deformed GD settle? With --noise: escape times from the sharp minimum against Kramers\' law')
    .option('--vdm <spec>', "a VDM, e.g. log or 'log:a=1,b=0.1' (repeatable; default: every parameter-free entry)", collect, [])
    .option('--lr <number>', 'step size (default 0.1; with --noise 0.003)', numberFlag('--lr', { min: 0, exclusiveMin: true }))
    .option('--starts <count>', 'number of starting points (a grid)', numberFlag('--starts', { integer: true, min: 1, max: 1_000_000 }), 400)
    .option('--steps <count>', 'steps per run (default 1000; with --noise 50000)', numberFlag('--steps', { integer: true, min: 1, max: 100_000_000 }))
    .option('--noise <sigma>', 'escape-time experiment: Gaussian gradient noise of this std, runs started in the sharp minimum', numberFlag('--noise', { min: 0 }))
    .option('--momentum <mu>', 'with --noise: heavy-ball momentum in [0, 1) (default 0)', numberFlag('--momentum', { min: 0, max: 1 }))
    .option('--runs <count>', 'with --noise: number of noisy runs (default 200)', numberFlag('--runs', { integer: true, min: 1, max: 1_000_000 }))
    .option('--seed <n>', 'with --noise: seed of the noise (default 1)', numberFlag('--seed', { integer: true, min: 0, max: SEED_MAX }))
    .option('--out <dir>', 'folder for the CSV, JSON and SVG outputs', join('results', 'toy'))
    .action(async (opts) => {
      await loadTensorFlow();
      const { toyCommand } = await import('../commands/toy.js');
      out(await toyCommand(opts));
    });

  // Usage mistakes commander finds are one line like every other error, not two; each command
  // words its own (it knows its flags and subcommands).
  for (const command of allCommands(program)) {
    command.configureOutput({ outputError: (text, write) => write(`vdm: ${rewordUsageError(text, command)} (run with --help for usage)\n`) });
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      const benign = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(thrown.code);
      return benign ? ExitCode.ok : ExitCode.badInput;
    }
    const error = explained(thrown); // a stray file-system error still prints as one line
    const debug = program.opts().debug === true || argv.includes('--debug');
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof VdmError && !debug) {
      process.stderr.write(`vdm: error: ${message}\n`);
    } else {
      process.stderr.write(`vdm: internal error: ${error instanceof Error && error.stack ? error.stack : message}\n`);
    }
    return exitCodeFor(error);
  } finally {
    stopListening?.();
  }
}
