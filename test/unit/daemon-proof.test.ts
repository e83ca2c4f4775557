// The daemon's proof of itself (src/ipc/daemon-proof.ts) with real files and a real socket
// pair: a key only its owner reads, a proof only the key's holder gives.
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { askProof, proofOf, readProofKey, writeProofKey } from '../../src/ipc/daemon-proof.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-proof-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const me = process.getuid?.() ?? 0;

/** A request as the listener reads it. */
interface Request {
  id: number;
  method: string;
  params: unknown;
}

/** A listener on a fresh socket that answers each line with `answer(request)`, and a client. */
async function pair(
  answer: (request: { id: number; method: string; params: unknown }) => string | undefined,
): Promise<{ client: Socket; close: () => void }> {
  const path = join(dir, `s${Math.random().toString(16).slice(2)}.sock`);
  const server = createServer((c) => {
    let text = '';
    c.on('data', (d) => {
      text += d.toString();
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n')) {
        const reply = answer(JSON.parse(text.slice(0, i)) as Request);
        text = text.slice(i + 1);
        if (reply !== undefined) c.write(`${reply}\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const client = connect(path);
  await new Promise((resolve) => client.once('connect', resolve));
  return {
    client,
    close: () => {
      client.destroy();
      server.close();
    },
  };
}

void describe('daemon proof', () => {
  void it('writes a key of 32 bytes that only its owner reads, and reads it back', () => {
    const path = join(dir, 'warden.key');
    const key = writeProofKey(path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readProofKey(path, me), key);
    assert.notDeepEqual(writeProofKey(path), key, 'a new key at each start');
  });

  void it('refuses a key others may read, of another size, behind a link, or a FIFO', () => {
    const open = join(dir, 'open.key');
    writeProofKey(open);
    chmodSync(open, 0o640);
    assert.equal(readProofKey(open, me), undefined);
    const short = join(dir, 'short.key');
    writeFileSync(short, 'x', { mode: 0o600 });
    assert.equal(readProofKey(short, me), undefined);
    const link = join(dir, 'link.key');
    symlinkSync(join(dir, 'warden.key'), link);
    assert.equal(readProofKey(link, me), undefined);
    const fifo = join(dir, 'fifo.key');
    execFileSync('mkfifo', [fifo]);
    assert.equal(readProofKey(fifo, me), undefined, 'returns at once, not held by the FIFO');
  });

  void it("refuses a key of another uid's (as root)", (t) => {
    if (me !== 0) return t.skip('needs root to give a file away');
    const theirs = join(dir, 'theirs.key');
    writeProofKey(theirs);
    chownSync(theirs, 65534, 65534);
    assert.equal(readProofKey(theirs, 0), undefined);
  });

  void it('a right proof is taken; the answers after it are left for the caller', async () => {
    const key = writeProofKey(join(dir, 'right.key'));
    const { client, close } = await pair((r) =>
      r.method === 'prove'
        ? `${JSON.stringify({ id: r.id, result: { proof: proofOf(key) } })}\n{"id":7,"result":"next"}`
        : undefined,
    );
    try {
      assert.equal(await askProof(client, key), true);
      const next = await new Promise<string>((resolve) => {
        client.once('data', (d) => resolve(d.toString()));
        client.resume();
      });
      assert.equal(next, '{"id":7,"result":"next"}\n');
    } finally {
      close();
    }
  });

  void it('a wrong proof, an error answer, or a refusal is no proof; a refusal stays readable', async () => {
    const key = writeProofKey(join(dir, 'wrong.key'));
    const answers = [
      (r: { id: number }) => JSON.stringify({ id: r.id, result: { proof: '0'.repeat(64) } }),
      (r: { id: number }) => JSON.stringify({ id: r.id, result: { proof: 'short' } }),
      (r: { id: number }) =>
        JSON.stringify({ id: r.id, error: { code: 'METHOD_NOT_FOUND', message: 'no prove' } }),
    ];
    for (const answer of answers) {
      const { client, close } = await pair(answer);
      try {
        assert.equal(await askProof(client, key), false);
      } finally {
        close();
      }
    }
    const refusal = '{"id":null,"error":{"code":"PERMISSION_DENIED","message":"no"}}';
    const { client, close } = await pair(() => refusal);
    try {
      assert.equal(await askProof(client, key), false);
      const kept = await new Promise<string>((resolve) => {
        client.once('data', (d) => resolve(d.toString()));
        client.resume();
      });
      assert.equal(kept, `${refusal}\n`, 'the refusal is the caller to read');
    } finally {
      close();
    }
  });

  void it('no answer within the wait is no proof', async () => {
    const key = writeProofKey(join(dir, 'silent.key'));
    const { client, close } = await pair(() => undefined);
    try {
      assert.equal(await askProof(client, key, 50), false);
    } finally {
      close();
    }
  });
});
