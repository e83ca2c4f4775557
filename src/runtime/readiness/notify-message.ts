// sd_notify(3) messages: newline-separated KEY=VALUE assignments, parsed into tagged data.

/** One assignment of an sd_notify message that warden understands. */
export type NotifyField =
  /** `READY=1`: start-up is finished. */
  | { key: 'READY' }
  /** `STATUS=text`: a one-line status for humans. */
  | { key: 'STATUS'; text: string }
  /** `STOPPING=1`: the service is shutting down. */
  | { key: 'STOPPING' }
  /** `RELOADING=1`: the service is reloading its configuration. */
  | { key: 'RELOADING' }
  /** `MAINPID=N`: the main process is now N. */
  | { key: 'MAINPID'; pid: number }
  /** `ERRNO=N`: the service failed with this errno. */
  | { key: 'ERRNO'; errno: number }
  /** `WATCHDOG=1`: keep-alive ping. */
  | { key: 'WATCHDOG' }
  /** `WATCHDOG=trigger`: the service asks to be treated as hung. */
  | { key: 'WATCHDOG_TRIGGER' }
  /** `EXTEND_TIMEOUT_USEC=N`: asks for N more µs before the current timeout. */
  | { key: 'EXTEND_TIMEOUT'; usec: number }
  /** `BARRIER=1`: the sender waits for the fd it sent to be closed. */
  | { key: 'BARRIER' }
  /** Any other assignment (FDSTORE=1, NOTIFYACCESS=...), or a known key with a bad value. */
  | { key: 'OTHER'; name: string; value: string };

/** A parsed datagram and who sent it (SCM_CREDENTIALS). */
export interface NotifyMessage {
  sender: { pid: number; uid: number; gid: number };
  fields: NotifyField[];
}

const UNSIGNED = /^\d+$/;

/**
 * Parses the text of an sd_notify datagram (sd_notify(3)): one `KEY=VALUE` per line, in order.
 * Lines without `=` and empty lines are skipped; values are kept verbatim (no trimming).
 */
export function parseNotifyText(text: string): NotifyField[] {
  const fields: NotifyField[] = [];
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    fields.push(toField(line.slice(0, eq), line.slice(eq + 1)));
  }
  return fields;
}

function toField(name: string, value: string): NotifyField {
  const other: NotifyField = { key: 'OTHER', name, value };
  switch (name) {
    case 'READY':
      return value === '1' ? { key: 'READY' } : other;
    case 'STATUS':
      return { key: 'STATUS', text: value };
    case 'STOPPING':
      return value === '1' ? { key: 'STOPPING' } : other;
    case 'RELOADING':
      return value === '1' ? { key: 'RELOADING' } : other;
    case 'WATCHDOG':
      if (value === '1') return { key: 'WATCHDOG' };
      return value === 'trigger' ? { key: 'WATCHDOG_TRIGGER' } : other;
    case 'BARRIER':
      return value === '1' ? { key: 'BARRIER' } : other;
    case 'MAINPID':
      return UNSIGNED.test(value) && Number(value) > 0
        ? { key: 'MAINPID', pid: Number(value) }
        : other;
    case 'ERRNO':
      return UNSIGNED.test(value) ? { key: 'ERRNO', errno: Number(value) } : other;
    case 'EXTEND_TIMEOUT_USEC':
      return UNSIGNED.test(value) ? { key: 'EXTEND_TIMEOUT', usec: Number(value) } : other;
    default:
      return other;
  }
}
