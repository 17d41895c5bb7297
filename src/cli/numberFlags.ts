// Parsers for numeric command-line flags: a value that is not a number, not whole or out of
// range is a UsageError naming the flag, instead of NaN travelling into a run.
import { UsageError } from '../errors.js';

export interface NumberFlagRule {
  readonly integer?: boolean;
  /** Smallest allowed value (inclusive). */
  readonly min?: number;
  /** Largest allowed value (inclusive). */
  readonly max?: number;
  /** The value must be above `min`, not equal to it. */
  readonly exclusiveMin?: boolean;
}

function expected(rule: NumberFlagRule): string {
  const kind = rule.integer ? 'a whole number' : 'a number';
  const low = rule.min === undefined ? '' : ` ${rule.exclusiveMin ? '>' : '>='} ${rule.min}`;
  const high = rule.max === undefined ? '' : `${low ? ' and' : ''} <= ${rule.max}`;
  return `${kind}${low}${high}`;
}

/** Checks one value of `flag` (e.g. '--samples') against `rule`. */
export function parseNumberFlag(flag: string, text: string, rule: NumberFlagRule = {}): number {
  const trimmed = text.trim();
  const value = trimmed === '' ? NaN : Number(trimmed);
  const fail = (why: string): never => {
    throw new UsageError(`${flag} '${text}': ${why}; expected ${expected(rule)}`);
  };
  if (!Number.isFinite(value)) fail('not a number');
  if (rule.integer && !Number.isInteger(value)) fail('not a whole number');
  if (rule.min !== undefined && (rule.exclusiveMin ? value <= rule.min : value < rule.min)) fail('too small');
  if (rule.max !== undefined && value > rule.max) fail('too large');
  return value;
}

/** A commander argument parser for `flag`. */
export function numberFlag(flag: string, rule: NumberFlagRule = {}): (text: string) => number {
  return (text) => parseNumberFlag(flag, text, rule);
}

/** A comma-separated list of whole numbers (e.g. `--seeds 1,2,3`). */
export function integerListFlag(flag: string, rule: NumberFlagRule = {}): (text: string) => number[] {
  return (text) => text.split(',').map((part) => parseNumberFlag(flag, part, { ...rule, integer: true }));
}
