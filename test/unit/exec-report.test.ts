// ExecReport with real pipes: a report at EOF is read and closed by a sweep, long before its
// process ends, and what it said (a failed exec's errno) is still told at the end.
import assert from 'node:assert/strict';
import { closeSync, fstatSync, writeSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ExecReport, parseExecReport } from '../../src/effects/spawn/exec-report.js';
import { makePipe } from '../../src/effects/ffi/fds.js';
import { waitFor } from '../helpers/cli.js';

/** Whether `fd` is open in this process. */
function isOpenFd(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

void describe('ExecReport', () => {
  void it('a report whose exec happened (EOF) is closed by a sweep; its end says no error', async () => {
    const [read, write] = makePipe();
    const report = new ExecReport(read);
    assert.ok(report.isOpen);
    closeSync(write); // the exec: the close-on-exec write end goes
    await waitFor('the sweep closed the report', () => !report.isOpen);
    assert.equal(isOpenFd(read) && fstatSync(read).isFIFO(), false, 'its fd is closed');
    assert.equal(report.finish(), undefined);
  });

  void it('a failed exec swept before the process ended is still told at its end', async () => {
    const [read, write] = makePipe();
    const report = new ExecReport(read);
    writeSync(write, 'exec 2\n');
    closeSync(write); // the new process exits 127 after its line
    await waitFor('the sweep closed the report', () => !report.isOpen);
    assert.equal(report.finish()?.code, 'ENOENT');
  });

  void it('stays open while the exec has not happened, and finish reads what is there', async () => {
    const [read, write] = makePipe();
    const report = new ExecReport(read, 'exec ');
    const [otherRead, otherWrite] = makePipe();
    const other = new ExecReport(otherRead); // a second one the sweep looks at meanwhile
    writeSync(write, '13\n');
    const [r2, w2] = makePipe(); // one more sweep seen to happen: a report that ends
    const witness = new ExecReport(r2);
    closeSync(w2);
    await waitFor('a sweep ran', () => !witness.isOpen);
    assert.ok(report.isOpen, 'no EOF yet: the writer still holds its end');
    assert.equal(report.finish()?.code, 'EACCES', 'the text read before and now');
    assert.equal(report.isOpen, false);
    other.finish();
    closeSync(otherWrite);
    closeSync(write);
  });

  void it('parses the line a failed exec writes', () => {
    assert.equal(parseExecReport('exec 2\n')?.code, 'ENOENT');
    const chdir = parseExecReport('chdir 13\n');
    assert.deepEqual([chdir?.syscall, chdir?.code], ['chdir', 'EACCES']);
    assert.equal(parseExecReport('exec 2\n')?.syscall, 'execve');
    assert.equal(parseExecReport(''), undefined);
  });
});
