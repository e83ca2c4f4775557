// The default home: root's is /var/lib/warden, everyone else's under $XDG_STATE_HOME or
// ~/.local/state; --home and $WARDEN_HOME override both (DESIGN.md section 4).
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT_HOME, resolveHome } from '../../src/home/paths.js';

void describe('resolveHome', () => {
  void it('gives root /var/lib/warden by default, whatever $XDG_STATE_HOME says', () => {
    assert.equal(ROOT_HOME, '/var/lib/warden');
    assert.equal(resolveHome(undefined, {}, 0).home, '/var/lib/warden');
    assert.equal(resolveHome(undefined, { XDG_STATE_HOME: '/x/state' }, 0).home, ROOT_HOME);
    assert.equal(resolveHome(undefined, {}, 0).socket, '/var/lib/warden/warden.sock');
  });

  void it('gives other users $XDG_STATE_HOME/warden, else ~/.local/state/warden', () => {
    assert.equal(
      resolveHome(undefined, { XDG_STATE_HOME: '/x/state' }, 1000).home,
      '/x/state/warden',
    );
    assert.equal(
      resolveHome(undefined, {}, 1000).home,
      join(homedir(), '.local', 'state', 'warden'),
    );
  });

  void it('lets $WARDEN_HOME and --home override the default, for root too', () => {
    assert.equal(resolveHome(undefined, { WARDEN_HOME: '/srv/w' }, 0).home, '/srv/w');
    assert.equal(resolveHome('/opt/w', { WARDEN_HOME: '/srv/w' }, 0).home, '/opt/w');
    assert.equal(resolveHome(undefined, { WARDEN_HOME: '/srv/w' }, 1000).home, '/srv/w');
  });
});
