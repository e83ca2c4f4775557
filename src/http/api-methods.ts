// How each method of the control protocol is reached over HTTP (docs/http-api.md): a GET or a
// POST under /api/v1/, or not at all and why. Keyed by the protocol's method map, so a method
// added to it does not compile until it says how HTTP serves it; the routes (api-routes.ts) and
// the OpenAPI document (openapi.ts) are both generated from this table and the params schemas.
import type { MethodName } from '../ipc/protocol.js';
import { RESULTS, type JsonSchema } from './api-results.js';

/** A method served over HTTP: GET (params from the query) or POST (params as a JSON body). */
export interface Served {
  verb: 'GET' | 'POST';
  summary: string;
  /** Its result, as JSON Schema (2020-12), for the OpenAPI document. */
  result: JsonSchema;
}

/** A method not served over HTTP, and why (the OpenAPI document and the docs say it). */
export interface NotServed {
  verb: null;
  why: string;
}

/** The HTTP exposure of every method of the protocol. */
export const API_METHODS: { readonly [M in MethodName]: Served | NotServed } = {
  hello: {
    verb: 'GET',
    summary: "The control protocol's version, warden's version and the daemon's pid",
    result: RESULTS.hello,
  },
  prove: {
    verb: null,
    why: "it proves to a local client that the daemon holds the home's key; over the network it would hand the key's proof to whoever holds the token",
  },
  status: {
    verb: 'GET',
    summary: 'The status of every instance (or of `targets`), as `warden status --json`',
    result: RESULTS.status,
  },
  up: {
    verb: null,
    why: 'it takes a config file path, so a client on the network would choose which file the daemon reads and which commands it runs; use the CLI (`warden up`), or `reload` after editing the file',
  },
  reload: {
    verb: 'POST',
    summary: 'Re-reads the config file and applies the difference (`dryRun`: only the plan)',
    result: RESULTS.plan,
  },
  start: {
    verb: 'POST',
    summary: 'Starts instances; answers those started (not those already running)',
    result: RESULTS.names,
  },
  stop: {
    verb: 'POST',
    summary: 'Stops instances; answers once their process trees are gone',
    result: RESULTS.stopped,
  },
  restart: {
    verb: 'POST',
    summary: 'Stops, then starts instances (`rolling`: one at a time while an extra one serves)',
    result: RESULTS.names,
  },
  signal: {
    verb: 'POST',
    summary: "Sends a signal to every process of each instance's tree",
    result: RESULTS.signal,
  },
  wait: {
    verb: 'POST',
    summary:
      'Answers once the instances are `running`; 409 NOT_RUNNING if one fails or time runs out',
    result: RESULTS.waited,
  },
  ps: {
    verb: 'GET',
    summary: 'The process tree of each instance: pid, ppid, command, RSS, CPU time',
    result: RESULTS.ps,
  },
  'logs-reopen': {
    verb: 'POST',
    summary: 'Closes and reopens every log file (after an external logrotate moved them)',
    result: RESULTS.files,
  },
  subscribe: {
    verb: null,
    why: 'a stream on the control socket; over HTTP the same events are Server-Sent Events at GET /api/v1/events',
  },
  down: {
    verb: null,
    why: 'it stops every service and the daemon, HTTP server included, so nothing could be started again over HTTP; run `warden down` on the machine',
  },
};

/** The path of method `name`'s route. */
export const pathOf = (name: MethodName): string => `/api/v1/${name}`;
