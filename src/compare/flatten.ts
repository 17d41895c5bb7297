// Nested config objects as flat `a.b.c` keys, so variants can be compared key by key.

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Flattens nested objects to dot paths; arrays and scalars are leaves. */
export function flattenObject(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (isPlainObject(child) && Object.keys(child).length > 0) {
      Object.assign(flat, flattenObject(child, path));
    } else {
      flat[path] = child;
    }
  }
  return flat;
}

/** Equality of two leaf values (arrays compared element-wise through JSON). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A leaf value as a short human-readable string; absent keys show as '(unset)'. */
export function formatConfigValue(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
