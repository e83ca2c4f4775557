// watch.ignore: .gitignore patterns, from the service's cwd.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ignoredPaths } from '../../src/runtime/watch/ignored.js';

void describe('ignoredPaths', () => {
  const ignored = ignoredPaths(['node_modules', '*.log', 'build/out'], '/app', [
    '/app/src',
    '/etc/app',
  ]);

  void it('matches a name without / at any depth', () => {
    assert.equal(ignored('/app/src/node_modules'), true);
    assert.equal(ignored('/app/src/node_modules/x/index.js'), true);
    assert.equal(ignored('/app/src/a/debug.log'), true);
    assert.equal(ignored('/app/src/server.js'), false);
  });

  void it('matches a pattern with / from the cwd, and what is under it', () => {
    assert.equal(ignored('/app/build/out'), true);
    assert.equal(ignored('/app/build/out/main.js'), true);
    assert.equal(ignored('/app/src/build/out'), false);
  });

  void it('matches a path outside the cwd from its watched root, never the cwd itself', () => {
    assert.equal(ignored('/etc/app/trace.log'), true);
    assert.equal(ignored('/etc/app/app.conf'), false);
    assert.equal(ignored('/app'), false);
    assert.equal(ignoredPaths([], '/app', [])('/app/x.log'), false);
  });
});
