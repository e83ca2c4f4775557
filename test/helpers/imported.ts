// What `warden import` wrote, read back with warden's own config loader (the import tests).
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.js';
import type { ServiceSpec, WardenConfig } from '../../src/config/types.js';

/** Loads the config file at `path`; fails the test with every issue when it does not load. */
export async function load(path: string): Promise<WardenConfig> {
  const loaded = await loadConfig(path);
  assert.ok(loaded.ok, JSON.stringify(loaded));
  return loaded.config;
}

/** The service `name` of `config`; fails the test when there is none. */
export function service(config: WardenConfig, name: string): ServiceSpec {
  const found = config.services.find((s) => s.name === name);
  assert.ok(found, `service ${name}`);
  return found;
}
