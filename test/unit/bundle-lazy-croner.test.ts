// A config without schedules costs nothing: the daemon's bundle and the CLI's main bundle hold
// neither croner nor the schedule runtime; they load them (dynamic import) only for a schedule.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// dist/test/unit/ → dist/src/.
const bundle = (path: string) =>
  readFileSync(fileURLToPath(new URL(`../../src/${path}`, import.meta.url)), 'utf8');

void describe('croner, loaded lazily', () => {
  for (const path of ['daemon/entry.js', 'cli/main.js']) {
    void it(`${path} imports croner only dynamically and bundles none of it`, () => {
      const code = bundle(path);
      // Not doesNotMatch: its message would quote the whole bundle.
      assert.ok(!/from\s*["']croner["']/.test(code), 'a static import of croner');
      assert.ok(!code.includes('CronPattern'), "croner's code bundled");
      assert.ok(!code.includes('ServiceSchedule'), 'the schedule runtime bundled');
    });
  }
});
