// The errors a supervisor's callers see, each with its stable code.

/** A name on the command line that matches no service or instance. */
export class UnknownServiceError extends Error {
  readonly code = 'UNKNOWN_SERVICE';
  constructor(
    readonly names: string[],
    known: string[],
  ) {
    const list = known.length === 0 ? 'no services are loaded' : `known: ${known.join(', ')}`;
    super(`unknown service ${names.map((n) => `"${n}"`).join(', ')} (${list})`);
  }
}

/** A start asked for while the daemon stops everything. */
export class ShuttingDownError extends Error {
  readonly code = 'SHUTTING_DOWN';
  constructor() {
    super('the daemon is shutting down; nothing new starts');
  }
}

/** A socket that could not be bound: the config is refused, nothing that runs is touched. */
export class ListenError extends Error {
  readonly code = 'LISTEN_FAILED';
  constructor(
    readonly service: string,
    readonly address: string,
    readonly errno: string,
    detail: string,
  ) {
    super(`services.${service}.listen: cannot listen on ${address}: ${errno} (${detail})`);
  }
}
