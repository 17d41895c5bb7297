// The vdm command line: declares the commands and their flags, and is the one place that
// prints errors and chooses exit codes. Each command's logic lives in src/commands/.
import { Argument, Command, CommanderError } from 'commander';
import { trainCommand } from '../commands/train.js';
import { listCommand } from '../commands/list.js';
import { ExitCode, VdmError, exitCodeFor } from '../errors.js';
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
    .option('-q, --quiet', 'plain one-line-per-epoch output instead of progress bars')
    .action(async (opts) => {
      await trainCommand(opts, out, interruptSignal());
    });

  program
    .command('list')
    .description('list registered models, datasets, optimizers, schedules and vdms')
    .addArgument(new Argument('[kind]', 'models|datasets|optimizers|schedules|vdms'))
    .action((kind?: string) => out(listCommand(kind)));

  return program;
}

export async function main(argv: string[]): Promise<number> {
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
