import { Agent, request } from 'node:http';

/**
 * The load of `bench:ingest`, against any Segment-compatible HTTP Tracking API (Meridian,
 * RudderStack's gateway, Segment's own): batches of 100 track calls through /v1/batch, then
 * single calls through /v1/track, with the write key as the HTTP Basic user name. So the
 * comparison in issue 15 can be repeated against another server on the same machine:
 *
 *   npx tsx scripts/bench/segment-load.ts --url http://127.0.0.1:8080 --write-key KEY \
 *     [--events 200000] [--batch-concurrency 16] [--track-requests 20000] [--track-concurrency 32]
 *
 * Bodies are built before the clock starts, as a load generator such as wrk does. Message IDs
 * carry a run prefix, so two runs against the same server are not deduplicated away.
 */

export interface SegmentLoadOptions {
  url: string;
  writeKey: string;
  batchEvents: number;
  batchSize?: number;
  batchConcurrency: number;
  trackRequests: number;
  trackConcurrency: number;
  users?: number;
  /** Prefix of every message ID (default: a fresh one per run). */
  run?: string;
  /** Called while /v1/batch runs (e.g. to probe processing delays); awaited after the load. */
  duringBatch?: (signal: { done: boolean }) => Promise<unknown>;
}

export interface LoadFigures {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  statuses: Record<number, number>;
}

export interface SegmentLoadResult {
  batch: LoadFigures & { eventsPerSecond: number };
  track: LoadFigures & { requestsPerSecond: number };
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export function post(url: URL, path: string, auth: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', authorization: auth, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function basicAuth(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
}

/** A track call of the benchmark's shape: a product view or an order, with a few properties. */
export function benchEvent(n: number, users: number, run = 'bench') {
  const user = n % users;
  return {
    userId: `bench-user-${user}`,
    anonymousId: `bench-anon-${user}`,
    event: n % 5 === 0 ? 'Order Completed' : 'Product Viewed',
    properties: {
      sku: `SKU-${n % 997}`,
      price: (n % 10_000) / 100,
      currency: 'EUR',
      quantity: 1 + (n % 3),
      category: 'shoes',
      position: n % 20,
    },
    context: {
      locale: 'de-DE',
      timezone: 'Europe/Berlin',
      traits: n % 10 === 0 ? { email: `bench.user${user}@example.de` } : undefined,
    },
    messageId: `${run}-${n}`,
    timestamp: new Date().toISOString(),
  };
}

export async function runLoad(
  total: number,
  concurrency: number,
  send: (i: number) => Promise<number>,
): Promise<LoadFigures> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        const status = await send(i);
        latencies.push(performance.now() - t);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { requests: total, seconds, p50: pct(0.5), p99: pct(0.99), statuses: Object.fromEntries(statuses) };
}

export async function segmentLoad(options: SegmentLoadOptions): Promise<SegmentLoadResult> {
  const url = new URL(options.url);
  const auth = basicAuth(options.writeKey);
  const size = options.batchSize ?? 100;
  const users = options.users ?? 20_000;
  const run = options.run ?? `load${Date.now().toString(36)}`;
  const batches = Math.ceil(options.batchEvents / size);
  const batchBodies = Array.from({ length: batches }, (_, i) =>
    JSON.stringify({
      batch: Array.from({ length: size }, (_, j) => ({ type: 'track', ...benchEvent(i * size + j, users, run) })),
    }),
  );
  const trackBodies = Array.from({ length: options.trackRequests }, (_, i) =>
    JSON.stringify(benchEvent(batches * size + i, users, run)),
  );
  const signal = { done: false };
  const side = options.duringBatch?.(signal);
  const batch = await runLoad(batches, options.batchConcurrency, (i) => post(url, '/v1/batch', auth, batchBodies[i]!));
  signal.done = true;
  await side;
  const track = await runLoad(options.trackRequests, options.trackConcurrency, (i) =>
    post(url, '/v1/track', auth, trackBodies[i]!),
  );
  return {
    batch: { ...batch, eventsPerSecond: (batches * size) / batch.seconds },
    track: { ...track, requestsPerSecond: options.trackRequests / track.seconds },
  };
}

export function describeLoad(result: SegmentLoadResult, options: SegmentLoadOptions): string {
  const { batch, track } = result;
  return [
    `  /v1/batch  ${options.batchEvents} events in batches of ${options.batchSize ?? 100}, ${options.batchConcurrency} in flight`,
    `             ${batch.eventsPerSecond.toFixed(0)} events/s   request p50 ${batch.p50.toFixed(1)} ms  p99 ${batch.p99.toFixed(1)} ms   statuses ${JSON.stringify(batch.statuses)}`,
    `  /v1/track  ${options.trackRequests} requests, ${options.trackConcurrency} in flight`,
    `             ${track.requestsPerSecond.toFixed(0)} requests/s   p50 ${track.p50.toFixed(1)} ms  p99 ${track.p99.toFixed(1)} ms   statuses ${JSON.stringify(track.statuses)}`,
  ].join('\n');
}

async function main() {
  const args = process.argv.slice(2);
  const value = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const url = value('url');
  const writeKey = value('write-key');
  if (!url || !writeKey) {
    console.error('usage: segment-load.ts --url http://host:port --write-key KEY [--events N] [--track-requests N]');
    process.exit(2);
  }
  const options: SegmentLoadOptions = {
    url,
    writeKey,
    batchEvents: Number(value('events') ?? 200_000),
    batchConcurrency: Number(value('batch-concurrency') ?? 16),
    trackRequests: Number(value('track-requests') ?? 20_000),
    trackConcurrency: Number(value('track-concurrency') ?? 32),
    users: Number(value('users') ?? 20_000),
  };
  const result = await segmentLoad(options);
  console.log(`Segment-compatible load against ${url} (${new Date().toISOString()})\n${describeLoad(result, options)}`);
  agent.destroy();
}

if (process.argv[1]?.endsWith('segment-load.ts')) {
  main().catch((error) => {
    console.error(`segment-load: ${(error as Error).message}`);
    process.exit(1);
  });
}

export function closeLoadAgent(): void {
  agent.destroy();
}
