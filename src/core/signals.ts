// Linux signal names and numbers (x86_64/aarch64 numbering, signal(7)); data only, so the core stays pure.

/** Signal numbers by name, as in signal(7) on Linux. */
export const SIGNALS = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
} as const;

/** A signal name such as `SIGTERM`. */
export type SignalName = keyof typeof SIGNALS;

/** True when `name` is a known Linux signal name. */
export function isSignalName(name: string): name is SignalName {
  return Object.hasOwn(SIGNALS, name);
}

/**
 * Parses a signal given as `SIGTERM`, `TERM`, `term` or a number (`15`).
 * @returns the canonical name, or undefined when it names no signal.
 */
export function parseSignal(input: string | number): SignalName | undefined {
  if (typeof input === 'number' || /^\d+$/.test(input)) {
    const n = Number(input);
    return (Object.keys(SIGNALS) as SignalName[]).find((k) => SIGNALS[k] === n);
  }
  const upper = input.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return isSignalName(name) ? name : undefined;
}
