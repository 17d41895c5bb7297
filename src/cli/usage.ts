// Usage mistakes commander finds, reworded as one line with a hint: the closest command or flag
// (the registries' closestName), and `--set key=value` for an override word where none is taken.
import type { Command } from 'commander';
import { looksLikeOverride } from '../config/overrides.js';
import { closestName } from '../registry.js';

/** Two edits: one swap of neighbouring letters (`trian`, `--conifg`) still finds its word. */
const SWAP = 2;

const didYouMean = (name: string | undefined) => (name ? `; did you mean '${name}'?` : '');

function longFlags(command: Command): string[] {
  const own = command.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => Boolean(f));
  return [...own, '--help'];
}

function commandNames(command: Command): string[] {
  return command.commands.flatMap((c) => [c.name(), ...c.aliases()]);
}

/** The hint for an excess argument: `key=value` words mean an override. */
function excessHint(command: Command): string {
  const word = command.args.find(looksLikeOverride);
  if (word === undefined) return '';
  const takesSet = command.options.some((o) => o.long === '--set');
  return takesSet ? `; did you mean --set ${word}?` : `; 'vdm ${command.name()}' takes no key=value overrides`;
}

/**
 * commander's error text for `command` as one line: `error: unknown option '--conifg'; did you
 * mean '--config'?`. commander's own suggestions are turned off so this is the one rule.
 */
export function rewordUsageError(text: string, command: Command): string {
  const first = text.trim().split('\n')[0];
  const quoted = /'([^']+)'/.exec(first)?.[1];
  if (first.startsWith('error: unknown option') && quoted) {
    const flag = quoted.split('=')[0];
    return `${first}${didYouMean(closestName(flag, longFlags(command), SWAP))}`;
  }
  if (first.startsWith('error: unknown command') && quoted) {
    return `${first}${didYouMean(closestName(quoted, commandNames(command), SWAP))}`;
  }
  if (first.startsWith('error: too many arguments')) return `${first.replace(/\.$/, '')}${excessHint(command)}`;
  return first;
}

/** Every command below `root` (itself included), for settings that each must carry. */
export function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap(allCommands)];
}
