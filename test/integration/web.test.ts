import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../../db/connections';
import { startRegionHealth } from '../../temporal/processes/region-health';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../temporal/payload-codec';
import { buildServer, requestLogOptions } from '../../web/server';
import { createTestDeployment, TestDeployment } from '../support/deployment';

describe('web: health, readiness and the codec endpoint for the Temporal UI', () => {
  let d: TestDeployment;
  let app: FastifyInstance;
  let base: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    d = await createTestDeployment('web');
    await d.startWorkers(['global', 'eu', 'us', 'apac']);
    app = await buildServer({
      temporal: d.client,
      codec: new AesGcmPayloadCodec(d.config.payloadKeys),
      regions: d.config.regions.regions.map((r) => ({
        name: r.name,
        taskQueue: r.taskQueue,
        sql: r.name === 'global' ? d.global().sql : d.regional(r.name).sql,
      })),
      codecCorsOrigins: ['http://localhost:8233'],
      logger: {
        ...(requestLogOptions('info') as object),
        stream: new Writable({
          write(chunk, _enc, done) {
            logLines.push(chunk.toString());
            done();
          },
        }),
      },
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await d?.close();
  });

  it('answers /health, and /ready per region with PostgreSQL, Temporal and pollers', async () => {
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    const res = await fetch(`${base}/ready`);
    const body = (await res.json()) as { status: string; regions: any[] };
    expect(res.status).toBe(200);
    expect(body.regions.map((r) => r.region)).toEqual(['global', 'eu', 'us', 'apac']);
    for (const r of body.regions) {
      expect(r.database).toEqual({ ok: true });
      expect(r.temporal).toMatchObject({ ok: true, taskQueue: `meridian-${r.region}` });
      expect(r.temporal.activityPollers).toBeGreaterThan(0);
    }
  });

  it('reports not ready, naming the region, when a region database is unreachable', async () => {
    const missing = postgres(databaseUrl(d.env.DATABASE_URL!, `cdp_missing_${Date.now()}`), { max: 1, onnotice: () => {} });
    const broken = await buildServer({
      temporal: d.client,
      codec: new AesGcmPayloadCodec(d.config.payloadKeys),
      regions: [{ name: 'eu', taskQueue: 'meridian-eu', sql: missing }],
      codecCorsOrigins: [],
    });
    const res = await broken.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(503);
    const [eu] = res.json().regions;
    expect(eu.region).toBe('eu');
    expect(eu.database.ok).toBe(false);
    expect(eu.database.error).toMatch(/does not exist/);
    await broken.close();
    await missing.end();
  });

  it('keeps payloads encrypted on the Temporal server, and decodes them through /codec/decode', async () => {
    const handle = await startRegionHealth(d.client, d.config, { regions: ['eu'], samples: 1 });
    await handle.result();

    // Read the history the way the server stores it: no data converter, raw payloads.
    const raw = await d.client.workflowService.getWorkflowExecutionHistory({
      namespace: d.config.temporal.namespace,
      execution: { workflowId: handle.workflowId },
    });
    const started = raw.history!.events![0]!.workflowExecutionStartedEventAttributes!;
    const input = started.input!.payloads![0]!;
    expect(Buffer.from(input.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(input.data!).toString('latin1')).not.toContain('meridian-eu');

    const res = await fetch(`${base}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'meridian', origin: 'http://localhost:8233' },
      body: JSON.stringify({
        payloads: [
          {
            metadata: Object.fromEntries(Object.entries(input.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
            data: Buffer.from(input.data!).toString('base64'),
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const [decoded] = ((await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
    expect(Buffer.from(decoded!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded!.data, 'base64').toString())).toEqual({
      regions: [{ name: 'eu', taskQueue: 'meridian-eu' }],
      samples: 1,
    });
  });

  it('round-trips /codec/encode → /codec/decode and rejects malformed bodies with a clear 400', async () => {
    const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"hi"').toString('base64') };
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const encoded = (await (await post('/codec/encode', { payloads: [plain] })).json()) as { payloads: unknown[] };
    const decoded = (await (await post('/codec/decode', encoded)).json()) as { payloads: unknown[] };
    expect(decoded.payloads).toEqual([plain]);

    const bad = await post('/codec/decode', { payload: [] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/codec request body is not \{"payloads": \[...\]\}: payloads/);
  });

  it('lets only the Temporal UI origin call the codec from a browser', async () => {
    const preflight = (origin: string) =>
      fetch(`${base}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
      });
    const ok = await preflight('http://localhost:8233');
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');
    const evil = await preflight('http://evil.example');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('logs requests without query strings or bodies', async () => {
    await fetch(`${base}/health?email=alice%40example.com`);
    await fetch(`${base}/codec/encode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payloads":[{"data":"YWxpY2VAZXhhbXBsZS5jb20="}]}' });
    const logs = logLines.join('');
    expect(logs).toContain('"route":"/health"');
    expect(logs).not.toMatch(/alice|YWxpY2V/);
  });
});
