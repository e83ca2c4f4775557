// sd_notify text parsing (sd_notify(3)) and the cmsg(3) layout of SCM_CREDENTIALS/SCM_RIGHTS.
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { describe, it } from 'node:test';
import { parseControl } from '../../src/effects/ffi/unix-dgram.js';
import { parseNotifyText } from '../../src/runtime/readiness/notify-message.js';

void describe('parseNotifyText', () => {
  void it('reads every key of sd_notify(3) in order', () => {
    const text = [
      'READY=1',
      'STATUS=Ready to accept connections = yes',
      'STOPPING=1',
      'RELOADING=1',
      'MAINPID=4242',
      'ERRNO=2',
      'WATCHDOG=1',
      'WATCHDOG=trigger',
      'EXTEND_TIMEOUT_USEC=5000000',
      'BARRIER=1',
      'FDSTORE=1',
    ].join('\n');
    assert.deepEqual(parseNotifyText(text), [
      { key: 'READY' },
      { key: 'STATUS', text: 'Ready to accept connections = yes' },
      { key: 'STOPPING' },
      { key: 'RELOADING' },
      { key: 'MAINPID', pid: 4242 },
      { key: 'ERRNO', errno: 2 },
      { key: 'WATCHDOG' },
      { key: 'WATCHDOG_TRIGGER' },
      { key: 'EXTEND_TIMEOUT', usec: 5_000_000 },
      { key: 'BARRIER' },
      { key: 'OTHER', name: 'FDSTORE', value: '1' },
    ]);
  });

  void it('keeps bad values as OTHER and skips lines without a key', () => {
    assert.deepEqual(parseNotifyText('READY=0\nMAINPID=abc\n\nnonsense\n=x\nSTATUS=\n'), [
      { key: 'OTHER', name: 'READY', value: '0' },
      { key: 'OTHER', name: 'MAINPID', value: 'abc' },
      { key: 'STATUS', text: '' },
    ]);
  });
});

// Builds a cmsg buffer as the kernel lays it out on a 64-bit machine.
function cmsg(type: number, data: number[]): Buffer {
  const len = 16 + data.length * 4;
  const b = Buffer.alloc(Math.ceil(len / 8) * 8);
  const le = endianness() === 'LE';
  const w64 = le ? b.writeBigUInt64LE.bind(b) : b.writeBigUInt64BE.bind(b);
  const w32 = le ? b.writeInt32LE.bind(b) : b.writeInt32BE.bind(b);
  w64(BigInt(len), 0);
  w32(1, 8);
  w32(type, 12);
  data.forEach((v, i) => w32(v, 16 + i * 4));
  return b;
}

void describe('parseControl', () => {
  void it('finds the credentials and every fd', () => {
    const control = Buffer.concat([cmsg(2, [1234, 1000, 100]), cmsg(1, [7, 8, 9])]);
    assert.deepEqual(parseControl(control, 8), {
      sender: { pid: 1234, uid: 1000, gid: 100 },
      fds: [7, 8, 9],
    });
  });

  void it('stops at a malformed header instead of reading past the buffer', () => {
    const bad = cmsg(1, [7]);
    bad.writeBigUInt64LE(4096n, 0);
    assert.deepEqual(parseControl(bad, 8), { sender: null, fds: [] });
    assert.deepEqual(parseControl(Buffer.alloc(0), 8), { sender: null, fds: [] });
  });
});
