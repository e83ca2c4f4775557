// The JSON Schema of warden.yaml, for editors (yaml-language-server, VS Code): generated from the zod schema.
import * as z from 'zod';
import { configSchema } from './schema.js';

/** `$id` of the JSON Schema: a name, not a URL, until the schema is published somewhere. */
export const CONFIG_SCHEMA_ID = 'urn:warden:schema:config:v1';

/**
 * The JSON Schema (draft 2020-12) of the config file's input form: what a user may write,
 * with defaults and a description per key. `schema/warden.schema.json` is this, pretty-printed.
 * @returns a fresh plain JSON object.
 */
export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema, {
    io: 'input',
    target: 'draft-2020-12',
    // zod bounds every integer by ±2^53-1; that is noise for editors, not a limit of warden.
    override: ({ jsonSchema }) => {
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    },
  });
  const { $schema, title, description, ...rest } = generated;
  return { $schema, $id: CONFIG_SCHEMA_ID, title, description, ...rest };
}
