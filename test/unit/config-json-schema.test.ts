// The committed schema/warden.schema.json must be exactly what the zod schema generates.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatIssue } from '../../src/config/format.js';
import { CONFIG_SCHEMA_ID, configJsonSchema } from '../../src/config/json-schema.js';

// dist/test/unit/ → the repository root.
const SCHEMA_FILE = fileURLToPath(new URL('../../../schema/warden.schema.json', import.meta.url));

void describe('configJsonSchema', () => {
  void it('matches the committed schema/warden.schema.json', async () => {
    const committed: unknown = JSON.parse(await readFile(SCHEMA_FILE, 'utf8'));
    assert.deepEqual(
      committed,
      configJsonSchema(),
      'schema/warden.schema.json is stale; regenerate it with: npm run build && node -e "import(\'./dist/src/config/json-schema.js\').then((m) => console.log(JSON.stringify(m.configJsonSchema(), null, 2)))" > schema/warden.schema.json && npx prettier --write schema',
    );
  });

  void it('is draft 2020-12 with an $id, a title and a description for every service key', () => {
    const schema = configJsonSchema();
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.$id, CONFIG_SCHEMA_ID);
    assert.equal(schema.title, 'warden config');
    const service = (schema.properties as { services: { additionalProperties: unknown } }).services
      .additionalProperties as { properties: Record<string, { description?: string }> };
    for (const [key, property] of Object.entries(service.properties)) {
      assert.ok(property.description, `${key} has no description`);
    }
  });
});

void describe('formatIssue', () => {
  void it('writes FILE:LINE:COL: PATH: MESSAGE and drops the absent parts', () => {
    const message = '"10 seconds" is not a duration; use e.g. 500ms, 10s, 5m';
    const path = 'services.web.backoff.initial';
    assert.equal(
      formatIssue({ file: '/srv/warden.yaml', line: 7, column: 16, path, message }),
      `/srv/warden.yaml:7:16: ${path}: ${message}`,
    );
    assert.equal(
      formatIssue({ file: '/srv/warden.yaml', path: '', message: 'ENOENT: no such file' }),
      '/srv/warden.yaml: ENOENT: no such file',
    );
  });
});
