// The two Server-Sent Events streams in the OpenAPI document: GET /api/v1/events (state changes,
// and the instances' figures about every second) and GET /api/v1/logs (log lines). OpenAPI 3.1
// has no way to type the events of a stream, so each stream is `text/event-stream` and its
// events are described in words and as schemas (StateEvent, Figures, LogLine) under components.
import { STATE_NAMES } from '../core/instance.js';

const str = { type: 'string' } as const;
const ms = { type: 'number', description: 'ms since the epoch' } as const;

/** The schemas of the events' data. */
export const sse = {
  schemas: {
    StateEvent: {
      type: 'object',
      description: 'One state change, as `warden events` prints it',
      required: ['time', 'instance', 'service', 'from', 'to', 'reason', 'pid'],
      properties: {
        time: ms,
        instance: str,
        service: str,
        from: { type: 'string', enum: STATE_NAMES },
        to: { type: 'string', enum: STATE_NAMES },
        reason: str,
        pid: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
      },
    },
    Figures: {
      type: 'object',
      description: 'The instances as `status` gives them, about every second',
      properties: {
        instances: { type: 'array', items: { $ref: '#/components/schemas/InstanceStatus' } },
      },
    },
    LogLine: {
      type: 'object',
      description: 'One line of a service',
      required: ['service', 'instance', 'stream', 'line', 'time'],
      properties: {
        service: str,
        instance: str,
        stream: { type: 'string', enum: ['out', 'err'] },
        line: str,
        time: ms,
      },
    },
  },
};

const stream = (description: string) => ({
  description,
  content: { 'text/event-stream': { schema: { type: 'string' } } },
});

/** The paths of the two streams. */
export const STREAM_PATHS = {
  '/api/v1/events': {
    get: {
      operationId: 'events',
      summary: 'State changes and figures, as Server-Sent Events',
      tags: ['streams'],
      parameters: [
        {
          name: 'targets',
          in: 'query',
          description: 'Services or instances, repeated or comma-separated; none: every one',
          style: 'form',
          explode: true,
          schema: { type: 'array', items: str },
        },
      ],
      responses: {
        '200': stream(
          'Events until the client closes: `event: state` with a StateEvent as `data`, on each state change; `event: figures` with Figures as `data`, about every second',
        ),
      },
    },
  },
  '/api/v1/logs': {
    get: {
      operationId: 'logs',
      summary: 'Log lines, as Server-Sent Events',
      tags: ['streams'],
      parameters: [
        { name: 'service', in: 'query', description: 'A service; none: every one', schema: str },
        {
          name: 'follow',
          in: 'query',
          description: '1: go on with new lines until the client closes',
          schema: { type: 'string', enum: ['0', '1'] },
        },
      ],
      responses: {
        '200': stream('`event: line` with a LogLine as `data`, for each line'),
      },
    },
  },
};
