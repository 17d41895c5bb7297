// Turns zod validation issues into one readable sentence: what is wrong and what is expected.
import type { z } from 'zod';
import { excerpt } from '../errors.js';
import { closestName } from '../registry.js';

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON has no NaN or Infinity (it writes null): YAML's .nan and .inf are shown as themselves.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  // Quoted short: the value comes from a file, which may not be the config it was meant to be.
  if (typeof value === 'string') return `"${excerpt(value)}"`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** The key path an issue is about (an unknown key points at the key itself). */
export function issuePath(issue: z.core.$ZodIssue): (string | number)[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  return issue.code === 'unrecognized_keys' ? [...path, issue.keys[0]] : path;
}

/** One line for an issue; `validKeys` lists the keys allowed where an unknown key was found. */
export function describeIssue(issue: z.core.$ZodIssue, validKeys: readonly string[] = []): string {
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0];
      const hint = closestName(key, validKeys);
      return `unknown key '${excerpt(key)}'${hint ? `; did you mean '${hint}'?` : ''}${validKeys.length ? ` (valid keys: ${validKeys.join(', ')})` : ''}`;
    }
    case 'invalid_type':
      return issue.input === undefined
        ? `missing required key; expected ${issue.expected}`
        : `expected ${issue.expected}, got ${show(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => show(v)).join(', ')}, got ${show(issue.input)}`;
    case 'too_small':
      return `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}${issue.origin === 'array' ? ' items' : ''}, got ${show(issue.input)}`;
    case 'too_big':
      return `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}${issue.origin === 'array' ? ' items' : ''}, got ${show(issue.input)}`;
    case 'invalid_key':
      return `invalid name ${show(issue.input)}: ${issue.issues[0]?.message ?? 'not allowed here'}`;
    case 'custom':
      // A refinement's message already names the value; its input is often the whole block.
      return issue.message;
    default:
      return `${issue.message}${issue.input === undefined ? '' : `, got ${show(issue.input)}`}`;
  }
}
