import { execFile } from 'node:child_process';
import { createServer, Server, Socket } from 'node:net';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { temporal } from '@temporalio/proto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../../db/connections';
import { ensureTemporalCli } from '../../scripts/temporal-cli';
import { startRegionHealth } from '../../temporal/processes/region-health';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../temporal/payload-codec';
import { createMeridianWeb, MeridianWeb } from '../../web/app';
import { buildOperatorServer } from '../../web/operator';
import { CHECK_TIMEOUT_MS, ReadinessProbe } from '../../web/readiness';
import { buildServer, requestLogOptions } from '../../web/server';
import { createTestDeployment, TestDeployment } from '../support/deployment';
import { eventually } from '../support/eventually';

type JsonPayload = { metadata?: Record<string, string>; data?: string };
const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('base64');
const toJson = (p: temporal.api.common.v1.IPayload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
  data: b64(p.data),
});
const plainJson = (value: unknown): JsonPayload => ({
  metadata: { encoding: Buffer.from('json/plain').toString('base64') },
  data: Buffer.from(JSON.stringify(value)).toString('base64'),
});

/** The payload groups the Temporal UI sends to the codec: every `payloads` list and `encodedAttributes` in a history. */
function payloadGroupsAsTheUiSendsThem(node: unknown, groups: JsonPayload[][] = []): JsonPayload[][] {
  if (!node || typeof node !== 'object' || node instanceof Uint8Array) return groups;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'payloads' && Array.isArray(value)) groups.push(value.map((p) => toJson(p)));
    else if (key === 'encodedAttributes' && value) groups.push([toJson(value as temporal.api.common.v1.IPayload)]);
    else groups.push(...payloadGroupsAsTheUiSendsThem(value, []));
  }
  return groups;
}

/** Listens and never answers: a database server that hangs, counting the connections held open to it. */
async function blackHole(): Promise<{
  port: number;
  open: () => number;
  accepted: () => number;
  close: () => Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // Reads and drops what the client sends (so its FIN is seen), and never answers.
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    open: () => sockets.size,
    accepted: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Forwards to PostgreSQL until frozen; then it passes nothing on, as a database that stopped answering. */
async function freezableProxy(target: { host: string; port: number }) {
  let frozen = false;
  const server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(target.port, target.host);
    client.on('data', (d) => !frozen && upstream.write(d));
    upstream.on('data', (d) => !frozen && client.write(d));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => (frozen = true),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('web: the public listener and the operator listener (codec, readiness)', () => {
  let d: TestDeployment;
  let web: MeridianWeb;
  let base: string;
  let operator: string;
  let operatorToken: string;
  const logLines: string[] = [];
  const auth = () => ({
    authorization: `Bearer ${operatorToken}`,
    'x-namespace': 'meridian',
    'content-type': 'application/json',
  });
  let encryptedInput: JsonPayload;

  beforeAll(async () => {
    d = await createTestDeployment('web');
    await d.startWorkers(['global', 'eu', 'us', 'apac']);
    operatorToken = d.config.operator.tokens[0]!;
    web = await createMeridianWeb(d.config, d.client, {
      poolSize: 2,
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
    base = await web.app.listen({ host: '127.0.0.1', port: 0 });
    operator = await web.operator.listen({ host: '127.0.0.1', port: 0 });

    const handle = await startRegionHealth(d.client, d.config, { regions: ['eu'], samples: 1 });
    await handle.result();
    const raw = await d.client.workflowService.getWorkflowExecutionHistory({
      namespace: d.config.temporal.namespace,
      execution: { workflowId: handle.workflowId },
    });
    const input = raw.history!.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    expect(Buffer.from(input.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(input.data!).toString('latin1')).not.toContain('meridian-eu');
    encryptedInput = toJson(input);
  });
  afterAll(async () => {
    await web?.close();
    await d?.close();
  });

  it('answers /health, and /ready with ready or not ready only', async () => {
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    const res = await fetch(`${base}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });

  it('an anonymous caller of the public listener cannot decrypt payloads: /codec/* is not served there', async () => {
    for (const direction of ['decode', 'encode']) {
      const res = await fetch(`${base}/codec/${direction}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': 'meridian', origin: 'http://localhost:8233' },
        body: JSON.stringify({ payloads: [encryptedInput] }),
      });
      expect(res.status).toBe(404);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(await res.text()).not.toContain('meridian-eu');
    }
  });

  it('the operator codec refuses to decrypt without a token, with a wrong token, or for another namespace', async () => {
    const decode = (headers: Record<string, string>) =>
      fetch(`${operator}/codec/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ payloads: [encryptedInput] }),
      });

    const anonymous = await decode({ 'x-namespace': 'meridian', origin: 'http://localhost:8233' });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: string }).error).toMatch(
      /operator token missing: send "Authorization: Bearer <token>"/,
    );
    const wrong = await decode({
      'x-namespace': 'meridian',
      authorization: `Bearer ${'x'.repeat(operatorToken.length)}`,
    });
    expect(wrong.status).toBe(401);
    const otherNamespace = await decode({ ...auth(), 'x-namespace': 'default' });
    expect(otherNamespace.status).toBe(403);
    expect(await otherNamespace.text()).not.toContain('meridian-eu');
    const noNamespace = await decode({ authorization: `Bearer ${operatorToken}` });
    expect(noNamespace.status).toBe(400);
    expect(((await noNamespace.json()) as { error: string }).error).toMatch(/X-Namespace header missing/);
    // The admin API's tokens are not operator tokens.
    const adminToken = d.config.adminTokens[0]!.token;
    expect((await decode({ 'x-namespace': 'meridian', authorization: `Bearer ${adminToken}` })).status).toBe(401);

    const ok = await decode(auth());
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    const [decoded] = ((await ok.json()) as { payloads: JsonPayload[] }).payloads;
    expect(JSON.parse(Buffer.from(decoded!.data!, 'base64').toString())).toEqual({
      regions: [{ name: 'eu', taskQueue: 'meridian-eu' }],
      samples: 1,
    });
  });

  it('the codec does not echo plaintext: a payload without Meridian encryption is refused by /codec/decode', async () => {
    const secret = plainJson({ email: 'alice@example.com' });
    const res = await fetch(`${operator}/codec/decode`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ payloads: [encryptedInput, secret] }),
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(JSON.parse(text).error).toMatch(
      /payload 1 is not encrypted with a Meridian payload key \(its encoding is "json\/plain"/,
    );
    expect(text).not.toContain('alice');
    expect(text).not.toContain(secret.data);
    expect(text).not.toContain('meridian-eu');

    // Encode then decode still round-trips, and malformed bodies get a clear 400.
    const encoded = (await (
      await fetch(`${operator}/codec/encode`, {
        method: 'POST',
        headers: auth(),
        body: JSON.stringify({ payloads: [secret] }),
      })
    ).json()) as { payloads: JsonPayload[] };
    expect(Buffer.from(encoded.payloads[0]!.metadata!.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    const back = (await (
      await fetch(`${operator}/codec/decode`, { method: 'POST', headers: auth(), body: JSON.stringify(encoded) })
    ).json()) as { payloads: JsonPayload[] };
    expect(back.payloads).toEqual([secret]);
    const bad = await fetch(`${operator}/codec/decode`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ payload: [] }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(
      /codec request body is not \{"payloads": \[...\]\}: payloads/,
    );
  });

  it('decodes every payload the Temporal UI sends for a real history, failures included; search attributes never reach the codec', async () => {
    // A workflow that fails (bad input: the failure's message travels as encodedAttributes).
    const failing = await d.client.workflow.start('regionHealth', {
      taskQueue: 'meridian-global',
      workflowId: `region-health-bad-input-${Date.now()}`,
      args: [{ regions: 'everywhere' }],
      searchAttributes: { MeridianProcessKind: ['regionHealth'] },
    });
    await expect(failing.result()).rejects.toThrow();
    const good = await startRegionHealth(d.client, d.config, { regions: ['us'], samples: 1 });
    await good.result();

    for (const workflowId of [failing.workflowId, good.workflowId]) {
      const raw = await d.client.workflowService.getWorkflowExecutionHistory({
        namespace: 'meridian',
        execution: { workflowId },
      });
      const groups = payloadGroupsAsTheUiSendsThem(raw.history);
      expect(groups.length).toBeGreaterThanOrEqual(2);
      for (const payloads of groups) {
        const res = await fetch(`${operator}/codec/decode`, {
          method: 'POST',
          headers: auth(),
          body: JSON.stringify({ payloads }),
        });
        expect(res.status, await res.clone().text()).toBe(200);
      }
    }
    // The failure message was encrypted, and decodes.
    const raw = await d.client.workflowService.getWorkflowExecutionHistory({
      namespace: 'meridian',
      execution: { workflowId: failing.workflowId },
    });
    const failed = raw.history!.events!.find((e) => e.workflowExecutionFailedEventAttributes)!
      .workflowExecutionFailedEventAttributes!.failure!;
    expect(failed.message).toBe('Encoded failure');
    const res = await fetch(`${operator}/codec/decode`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ payloads: [toJson(failed.encodedAttributes!)] }),
    });
    expect(
      Buffer.from(((await res.json()) as { payloads: JsonPayload[] }).payloads[0]!.data!, 'base64').toString(),
    ).toMatch(/regionHealth/);

    // Search attributes stay plaintext for the server to index, and the SDK reads them without the codec.
    const described = await failing.describe();
    expect(described.searchAttributes.MeridianProcessKind).toEqual(['regionHealth']);
    const indexed = described.raw.workflowExecutionInfo!.searchAttributes!.indexedFields!.MeridianProcessKind!;
    expect(Buffer.from(indexed.metadata!.encoding!).toString()).toBe('json/plain');
  });

  it('workers do not act on a workflow started with plaintext input (the temporal CLI without the codec); with the codec they do', async () => {
    const cli = await ensureTemporalCli();
    if (cli.kind !== 'binary') throw new Error('the test needs the temporal CLI');
    const run = promisify(execFile);
    const common = [
      '-n',
      'meridian',
      '--address',
      d.config.temporal.address,
      '--type',
      'regionHealth',
      '--task-queue',
      'meridian-global',
    ];
    const input = JSON.stringify({ regions: [{ name: 'eu', taskQueue: 'meridian-eu' }], samples: 1 });

    const plainId = `region-health-plaintext-${Date.now()}`;
    await run(cli.path, ['workflow', 'start', ...common, '--workflow-id', plainId, '--input', input]);
    await eventually(
      async () => {
        const history = await d.client.workflow.getHandle(plainId).fetchHistory();
        const failedTask = history.events!.find((e) => e.workflowTaskFailedEventAttributes);
        expect(failedTask).toBeDefined();
      },
      30_000,
      300,
    );
    const history = await d.client.workflow.getHandle(plainId).fetchHistory();
    // The workflow never ran: no activity was scheduled.
    expect(history.events!.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
    const raw = JSON.stringify(history.events!.find((e) => e.workflowTaskFailedEventAttributes));
    expect(raw).not.toContain('meridian-eu');
    expect((await d.client.workflow.getHandle(plainId).describe()).status.name).toBe('RUNNING');
    await d.client.workflow.getHandle(plainId).terminate('plaintext input, refused by the codec');

    const codecId = `region-health-cli-codec-${Date.now()}`;
    await run(cli.path, [
      'workflow',
      'start',
      ...common,
      '--workflow-id',
      codecId,
      '--input',
      input,
      '--codec-endpoint',
      `${operator}/codec`,
      '--codec-auth',
      `Bearer ${operatorToken}`,
    ]);
    const result = (await d.client.workflow.getHandle(codecId).result()) as { regions: { region: string }[] };
    expect(result.regions.map((r) => r.region)).toEqual(['eu']);
    // And the CLI reads the history back through the codec.
    const { stdout } = await run(cli.path, [
      'workflow',
      'show',
      '-n',
      'meridian',
      '--address',
      d.config.temporal.address,
      '--workflow-id',
      codecId,
      '-o',
      'json',
      '--codec-endpoint',
      `${operator}/codec`,
      '--codec-auth',
      `Bearer ${operatorToken}`,
    ]);
    expect(stdout).toContain('meridian-eu');
  });

  it('a web page on another origin cannot use the development exception (UI origin over loopback, no token)', async () => {
    const local = await buildOperatorServer({
      codec: new AesGcmPayloadCodec(d.config.payloadKeys),
      access: { tokens: [], trustLocalUi: true, uiOrigins: ['http://localhost:8233'], namespace: 'meridian' },
      readiness: new ReadinessProbe([], d.client),
    });
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    try {
      const decode = (headers: Record<string, string>) =>
        fetch(`${url}/codec/decode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-namespace': 'meridian', ...headers },
          body: JSON.stringify({ payloads: [encryptedInput] }),
        });
      const ui = await decode({ origin: 'http://localhost:8233' });
      expect(ui.status).toBe(200);
      expect(ui.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
      const evil = await decode({ origin: 'http://evil.example' });
      expect(evil.status).toBe(401);
      expect(await evil.text()).not.toContain('meridian-eu');
      expect((await decode({})).status).toBe(401);
      // The browser asks first; another origin gets no CORS permission.
      const preflight = (origin: string) =>
        fetch(`${url}/codec/decode`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type,x-namespace',
          },
        });
      expect((await preflight('http://localhost:8233')).headers.get('access-control-allow-origin')).toBe(
        'http://localhost:8233',
      );
      expect((await preflight('http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
      // The detailed readiness report needs a token even here.
      expect((await fetch(`${url}/ready`, { headers: { origin: 'http://localhost:8233' } })).status).toBe(401);
    } finally {
      await local.close();
    }
  });

  it('anonymous /ready tells nothing about the database: no error text; the operator listener has the details', async () => {
    const missing = `cdp_missing_${Date.now()}`;
    const probe = new ReadinessProbe(
      [
        {
          name: 'eu',
          taskQueue: 'meridian-eu',
          openSql: () => postgres(databaseUrl(d.env.DATABASE_URL!, missing), { max: 1, onnotice: () => {} }),
        },
      ],
      d.client,
    );
    const pub = await buildServer({ readiness: probe });
    const ops = await buildOperatorServer({
      codec: new AesGcmPayloadCodec(d.config.payloadKeys),
      access: { tokens: [operatorToken], trustLocalUi: false, uiOrigins: [], namespace: 'meridian' },
      readiness: probe,
    });
    try {
      const res = await pub.inject({ method: 'GET', url: '/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'not ready' });
      expect(res.body).not.toContain(missing);
      expect((await ops.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(401);
      const detailed = await ops.inject({
        method: 'GET',
        url: '/ready',
        headers: { authorization: `Bearer ${operatorToken}` },
      });
      expect(detailed.statusCode).toBe(503);
      const [eu] = detailed.json().regions;
      expect(eu).toMatchObject({
        region: 'eu',
        database: { ok: false },
        temporal: { ok: true, taskQueue: 'meridian-eu' },
      });
      expect(eu.database.error).toMatch(/does not exist/);
    } finally {
      await Promise.all([pub.close(), ops.close()]);
      await probe.close();
    }
  });

  it('a database that hangs does not pile up connections: each check times out and lets its connection go', async () => {
    const hole = await blackHole();
    const probe = new ReadinessProbe(
      [
        {
          name: 'eu',
          taskQueue: 'meridian-eu',
          openSql: () =>
            postgres(`postgres://postgres@127.0.0.1:${hole.port}/cdp_eu`, {
              max: 1,
              connect_timeout: 30,
              onnotice: () => {},
            }),
        },
      ],
      d.client,
    );
    const pub = await buildServer({ readiness: probe });
    try {
      for (let round = 0; round < 3; round++) {
        const started = Date.now();
        // Ten callers at once (a load balancer, a probe, a curious user) share one check.
        const answers = await Promise.all(
          Array.from({ length: 10 }, () => pub.inject({ method: 'GET', url: '/ready' })),
        );
        expect(Date.now() - started).toBeLessThan(CHECK_TIMEOUT_MS + 1500);
        for (const a of answers) expect(a.json()).toEqual({ status: 'not ready' });
        expect(hole.accepted()).toBe(round + 1);
        // The timed-out check's connection is closed, not left waiting on the hung server.
        await eventually(async () => expect(hole.open()).toBe(0), 2000, 20);
      }
    } finally {
      await pub.close();
      await probe.close();
      await hole.close();
    }
  });

  it('a database that stops answering mid-session gets its readiness connection back on the server', async () => {
    const pg = new URL(d.env.DATABASE_URL!);
    const proxy = await freezableProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
    const app = `meridian-readiness-${Date.now()}`;
    const database = `cdp_eu_${d.config.databaseSuffix}`;
    const viaProxy = new URL(d.env.DATABASE_URL!);
    viaProxy.port = String(proxy.port);
    const probe = new ReadinessProbe(
      [
        {
          name: 'eu',
          taskQueue: 'meridian-eu',
          openSql: () =>
            postgres(databaseUrl(viaProxy.toString(), database), {
              max: 1,
              connection: { application_name: app },
              onnotice: () => {},
            }),
        },
      ],
      d.client,
    );
    const observer = postgres(databaseUrl(d.env.DATABASE_URL!, 'postgres'), { max: 1, onnotice: () => {} });
    const sessions = async () =>
      (await observer`select count(*)::int as n from pg_stat_activity where application_name = ${app}`)[0]!.n as number;
    try {
      expect(ReadinessProbe.isReady(await probe.check())).toBe(true);
      expect(await sessions()).toBe(1);
      proxy.freeze();
      const [eu] = await probe.check();
      expect(eu!.database).toEqual({ ok: false, error: `PostgreSQL did not answer within ${CHECK_TIMEOUT_MS} ms` });
      // The server's session ends too: the slot it held is free again.
      await eventually(async () => expect(await sessions()).toBe(0), 5000, 100);
    } finally {
      await probe.close();
      await observer.end();
      await proxy.close();
    }
  });

  it('logs requests without query strings or bodies', async () => {
    await fetch(`${base}/health?email=alice%40example.com`);
    await fetch(`${operator}/codec/encode`, {
      method: 'POST',
      headers: auth(),
      body: '{"payloads":[{"data":"YWxpY2VAZXhhbXBsZS5jb20="}]}',
    });
    const logs = logLines.join('');
    expect(logs).toContain('"route":"/health"');
    expect(logs).toContain('"route":"/codec/encode"');
    expect(logs).not.toMatch(/alice|YWxpY2V/);
    expect(logs).not.toContain(operatorToken);
  });
});
