// The keys a zod object schema takes (seen through a transform), without the registries: the
// CLI's pre-checks use them before TensorFlow.js is loaded.
import { z } from 'zod';

export function objectSchemaOf(schema: z.ZodType): z.ZodObject | undefined {
  if (schema instanceof z.ZodPipe) return objectSchemaOf(schema.in as z.ZodType);
  return schema instanceof z.ZodObject ? schema : undefined;
}

export function keysOf(schema: z.ZodType): string[] {
  return Object.keys(objectSchemaOf(schema)?.shape ?? {});
}
