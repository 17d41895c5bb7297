// The vdm command line: declares the commands and their flags, and is the one place that
// prints errors and chooses exit codes. Each command's logic lives in src/commands/.
import { join } from 'node:path';
import { Argument, Command, CommanderError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { BACKEND_CHOICES, quietDefaultBackend } from '../backend/resolve.js';
import { runCompare } from '../commands/compare.js';
import { datasetInfo, fetchDataset } from '../commands/data.js';
import { doctorCommand } from '../commands/doctor.js';
import { flatnessCommand } from '../commands/flatness.js';
import { runCommand } from '../commands/run.js';
import { toyCommand } from '../commands/toy.js';
import { trainCommand } from '../commands/train.js';
import { listCommand } from '../commands/list.js';
import { ExitCode, UsageError, VdmError, exitCodeFor } from '../errors.js';
import { VDM_VERSION } from '../run/provenance.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const collect = (value: string, previous: string[]) => [...previous, value];

/** Aborted by the first Ctrl-C (the run stops cleanly after its step); a second one exits at once. */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(ExitCode.interrupted);
    process.stderr.write('\nvdm: stopping after the current step (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
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
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('train')
    .description('train one run from a YAML config and write its result folder')
    .requiredOption('-c, --config <file>', 'run config (YAML)')
    .option('--set <key=value>', 'override a config value, e.g. --set optimizer.lr=0.05 (repeatable)', collect, [])
    .option('--force', 'replace an existing completed run folder')
    .option('--resume', 'continue an interrupted or crashed run from its last checkpoint (same config)')
    .option('-q, --quiet', 'plain one-line-per-epoch output instead of progress bars')
    .action(async (opts) => {
      await trainCommand(opts, out, interruptSignal());
    });

  program
    .command('run')
    .description('run an experiment: every variant x seed (completed runs skipped), then compare them')
    .argument('<experiment>', 'experiment file (YAML)')
    .option('--dry-run', 'list the runs it would start, with folders and overrides, and stop')
    .option('--parallel <n>', 'run this many training processes at once', (v) => Number.parseInt(v, 10), 1)
    .option('--force', 'rerun completed runs too, replacing them')
    .option('--only <run>', "run only 'variant' or 'variant/seed-N' (repeatable)", collect, [])
    .option('--seeds <list>', 'comma-separated seeds instead of the file\'s', (v) => v.split(',').map((s) => Number.parseInt(s, 10)))
    .option('--flatness', "measure every completed run's Hessian figures (vdm flatness) before comparing")
    .option('--no-compare', 'skip the comparison at the end')
    .action(async (file: string, opts) => {
      await runCommand(file, opts, out, interruptSignal());
    });

  program
    .command('list')
    .description('list registered models, datasets, optimizers, schedules and vdms')
    .addArgument(new Argument('[kind]', 'models|datasets|optimizers|schedules|vdms'))
    .action((kind?: string) => {
      out(listCommand(kind));
    });

  const data = program.command('data').description('get data sets onto disk and describe them');
  data
    .command('fetch')
    .description('download a data set (cifar10, cifar100), verify its MD5 and put it in place')
    .argument('<name>', 'data set name')
    .option('--root <dir>', 'folder the data set lives in', 'data')
    .addOption(new Option('--format <format>', 'which CIFAR version').choices(['auto', 'binary', 'python']).default('auto'))
    .action(async (name: string, opts: { root: string; format: 'auto' | 'binary' | 'python' }) => {
      await fetchDataset(name, opts.root, { format: opts.format });
    });
  data
    .command('info')
    .description('print sizes, classes, mean/std and where a data set reads from')
    .argument('<name>', 'data set name')
    .option('--set <key=value>', 'a dataset parameter, e.g. --set root=data (repeatable)', collect, [])
    .action(async (name: string, opts: { set: string[] }) => {
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
      process.stdout.write(await runCompare(inputs, opts));
    });

  program
    .command('flatness')
    .description("Hessian top eigenvalue and trace of the plain loss at each completed run's final weights (writes flatness.json)")
    .argument('<inputs...>', 'run folders, folders of runs, or experiment files')
    .option('--samples <n>', 'training examples the loss is taken over (seeded, class-balanced)', Number)
    .option('--iterations <n>', 'power-iteration steps at most (default 20)', Number)
    .option('--probes <n>', 'Hutchinson probes for the trace (default 10)', Number)
    .option('--batch-size <n>', "evaluation batch size (default: the run's)", Number)
    .addOption(new Option('--backend <name>', "backend (default: the run's)").choices([...BACKEND_CHOICES]))
    .option('--seed <n>', 'seed of the subset, start vector and probes (default 0: the same for every run)', Number)
    .option('--relative-step <x>', 'finite-difference step as a fraction of the weight norm (default 1e-3)', Number)
    .action(async (inputs: string[], opts) => {
      await flatnessCommand(inputs, opts, out);
    });

  program
    .command('doctor')
    .description('for every backend: whether it loads here, why not, and what to install')
    .action(async () => {
      await doctorCommand(out);
    });

  program
    .command('toy')
    .description('gradient descent on a 2-D surface with a sharp and a flat minimum: where do plain and deformed GD settle?')
    .option('--vdm <spec>', "a VDM, e.g. log or 'log:a=1,b=0.1' (repeatable; default: every parameter-free entry)", collect, [])
    .option('--lr <number>', 'step size', Number, 0.1)
    .option('--starts <count>', 'number of starting points (a grid)', (v) => Number.parseInt(v, 10), 400)
    .option('--out <dir>', 'folder for the end-point CSV and the SVG figure', join('results', 'toy'))
    .action(async (opts) => {
      out(await toyCommand(opts));
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  await quietDefaultBackend(); // config checks run tensor ops before any backend is chosen
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      const benign = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
      return benign ? ExitCode.ok : ExitCode.badInput;
    }
    const debug = program.opts().debug === true || argv.includes('--debug');
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof VdmError && !debug) {
      process.stderr.write(`vdm: error: ${message}\n`);
    } else {
      process.stderr.write(`vdm: internal error: ${error instanceof Error && error.stack ? error.stack : message}\n`);
    }
    return exitCodeFor(error);
  }
}
