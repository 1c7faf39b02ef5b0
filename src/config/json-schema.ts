import { toJsonSchema } from '@valibot/to-json-schema';
import { configSchema } from './schema.js';

/** config/schema.json's content, generated from the one schema source (src/config/schema.ts). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = toJsonSchema(configSchema, { errorMode: 'ignore' }) as Record<string, unknown>;
  return { title: 'docker-credential-bridge configuration', ...schema };
}

export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
