// `warden schema`: the JSON Schema of warden.yaml, for editors (also in schema/warden.schema.json).
import { configJsonSchema } from '../../config/json-schema.js';
import { EXIT, print } from '../output.js';

/** Prints the JSON Schema. */
export function schema(): Promise<number> {
  print(JSON.stringify(configJsonSchema(), null, 2));
  return Promise.resolve(EXIT.ok);
}
