// One error base: every error class of the library, the CLI and the protocol is a WardenError
// with a stable `code`, and the runtime's refusals reach the wire with one code each.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from '../../src/cli/context.js';
import { EXIT } from '../../src/cli/output.js';
import { DaemonStartError } from '../../src/cli/start-daemon.js';
import { WardenError } from '../../src/core/warden-error.js';
import { toProtocolError } from '../../src/daemon/protocol-errors.js';
import { StartupError } from '../../src/home/take-home.js';
import { DaemonTimeoutError } from '../../src/ipc/client.js';
import { ProtocolError } from '../../src/ipc/protocol.js';
import {
  DaemonizeError,
  NoDaemonError,
  NotifyError,
  ProtocolMismatchError,
  RemoteError,
  UntrustedError,
} from '../../src/lib/index.js';
import { RollingRestartError } from '../../src/runtime/rolling-restart.js';
import { ShuttingDownError, UnknownServiceError } from '../../src/runtime/supervisor/errors.js';

void describe('WardenError', () => {
  void it('is the base of every error class, with code, name, message and cause', () => {
    const cause = new Error('EMFILE');
    const errors: [WardenError, string, string][] = [
      [new DaemonizeError('EMFILE', 'no fd', { cause }), 'DaemonizeError', 'EMFILE'],
      [new NotifyError('ENOENT', 'gone', { cause }), 'NotifyError', 'ENOENT'],
      [new NoDaemonError('/h/warden.sock', 'ENOENT'), 'NoDaemonError', 'NO_DAEMON'],
      [new RemoteError({ code: 'NOT_RUNNING', message: 'm' }), 'RemoteError', 'NOT_RUNNING'],
      [new ProtocolMismatchError(2), 'ProtocolMismatchError', 'PROTOCOL_MISMATCH'],
      [new UntrustedError('m'), 'UntrustedError', 'UNTRUSTED'],
      [new DaemonTimeoutError('/h/warden.sock', 10), 'DaemonTimeoutError', 'TIMEOUT'],
      [new ProtocolError('INVALID_PARAMS', 'm'), 'ProtocolError', 'INVALID_PARAMS'],
      [new CliError('m', EXIT.usage), 'CliError', 'USAGE'],
      [new CliError('m', EXIT.failed), 'CliError', 'FAILED'],
      [new DaemonStartError('ALREADY_RUNNING', 'm'), 'DaemonStartError', 'ALREADY_RUNNING'],
      [new StartupError('EACCES', 'm', { cause }), 'StartupError', 'EACCES'],
    ];
    for (const [error, name, code] of errors) {
      assert.ok(error instanceof WardenError, name);
      assert.ok(error instanceof Error, name);
      assert.equal(error.name, name);
      assert.equal(error.code, code, name);
    }
    assert.equal(errors[0]?.[0].cause, cause);
    assert.equal(errors[1]?.[0].cause, cause);
    assert.equal(new CliError('m', EXIT.usage).cause, undefined);
  });
});

void describe('toProtocolError', () => {
  void it('gives each refusal of the runtime its own code, keeping the message and cause', () => {
    const cases: [Error, string][] = [
      [new UnknownServiceError(['x'], ['web']), 'UNKNOWN_SERVICE'],
      [new ShuttingDownError(), 'SHUTTING_DOWN'],
      [new RollingRestartError('web:2', 'web:2 did not reach running'), 'ROLLING_RESTART_FAILED'],
    ];
    for (const [error, code] of cases) {
      const mapped = toProtocolError(error);
      assert.ok(mapped instanceof ProtocolError);
      assert.equal(mapped.code, code);
      assert.equal(mapped.message, error.message);
      assert.equal(mapped.cause, error);
    }
  });

  void it('leaves any other error as it is (answered INTERNAL)', () => {
    const bug = Object.assign(new Error('boom'), { code: 'NOT_RUNNING' });
    assert.equal(toProtocolError(bug), bug);
  });
});
