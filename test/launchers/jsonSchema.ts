// A small JSON-schema (draft-07 subset) validator for the Kubernetes schema in test/fixtures/k8s:
// the repo has no validator package and the manifest test should not add one. A keyword it
// does not know is an error, so the schema cannot quietly ask for more than is checked.
type Schema = Record<string, unknown>;

const KNOWN = new Set(['$schema', '$comment', '$ref', 'title', 'description', 'definitions', 'type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'pattern', 'minimum', 'maximum']);

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Every place `value` breaks `schema`, as `path: problem`; empty when it conforms. */
export function validate(root: Schema, value: unknown): string[] {
  const problems: string[] = [];
  const resolve = (ref: string): Schema => {
    const match = /^#\/definitions\/(.+)$/.exec(ref);
    const target = match ? (root.definitions as Record<string, Schema> | undefined)?.[match[1]] : undefined;
    if (!target) throw new Error(`schema: unresolvable $ref ${ref}`);
    return target;
  };
  const check = (schema: Schema, node: unknown, path: string): void => {
    for (const key of Object.keys(schema)) if (!KNOWN.has(key)) throw new Error(`schema: unsupported keyword '${key}' at ${path}`);
    if (typeof schema.$ref === 'string') return check(resolve(schema.$ref), node, path);
    const type = typeOf(node);
    if (schema.type && !(schema.type === type || (schema.type === 'number' && type === 'integer'))) {
      problems.push(`${path}: expected ${schema.type}, got ${type}`);
      return;
    }
    if (schema.enum && !(schema.enum as unknown[]).includes(node)) problems.push(`${path}: ${JSON.stringify(node)} is not one of ${JSON.stringify(schema.enum)}`);
    if (typeof schema.pattern === 'string' && typeof node === 'string' && !new RegExp(schema.pattern).test(node)) problems.push(`${path}: '${node}' does not match ${schema.pattern}`);
    if (typeof node === 'number') {
      if (typeof schema.minimum === 'number' && node < schema.minimum) problems.push(`${path}: ${node} < ${schema.minimum}`);
      if (typeof schema.maximum === 'number' && node > schema.maximum) problems.push(`${path}: ${node} > ${schema.maximum}`);
    }
    if (type === 'array' && schema.items) (node as unknown[]).forEach((item, i) => check(schema.items as Schema, item, `${path}[${i}]`));
    if (type === 'object') {
      const object = node as Record<string, unknown>;
      for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in object)) problems.push(`${path}: missing required '${key}'`);
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      for (const [key, child] of Object.entries(object)) {
        if (properties[key]) check(properties[key], child, `${path}.${key}`);
        else if (schema.additionalProperties === false) problems.push(`${path}: unknown field '${key}'`);
        else if (typeof schema.additionalProperties === 'object') check(schema.additionalProperties as Schema, child, `${path}.${key}`);
      }
    }
  };
  check(root, value, '$');
  return problems;
}
