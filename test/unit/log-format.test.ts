import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../domain/config';
import { ReadinessProbe } from '../../web/readiness';
import { buildServer, requestLogOptions } from '../../web/server';
import { prettyLogLine, prettyStream, writeLog } from '../../startup/log';

/** Log lines: JSON for production, short human lines under `npm start`; neither carries personal data. */

const captured = () => {
  const lines: string[] = [];
  return { lines, out: { write: (text: string) => lines.push(...text.split('\n').filter(Boolean)) } };
};

// The real web server (its request hook and serializers) with only what /health needs.
function webWithLogs(format: 'json' | 'pretty', out: { write(text: string): unknown }): Promise<FastifyInstance> {
  return buildServer({
    readiness: new ReadinessProbe([], {} as Client),
    logger: requestLogOptions('info', format, out),
  });
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const personal = {
  url: '/health?email=jana.schroeder%40example.de&code=123456',
  headers: { authorization: 'Bearer secret-token', 'x-forwarded-for': '203.0.113.9', cookie: 'session=abc' },
};

describe('request logs', () => {
  it('are one JSON line with method, route, status and ms by default', async () => {
    const { lines, out } = captured();
    app = await webWithLogs('json', out);
    expect((await app.inject({ method: 'GET', ...personal })).statusCode).toBe(200);
    const record = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(record).toMatchObject({
      level: 30,
      msg: 'request',
      req: { method: 'GET', route: '/health' },
      res: { statusCode: 200 },
    });
    expect(typeof record.ms).toBe('number');
    expect(lines.join('\n')).not.toMatch(/jana|example\.de|123456|secret-token|203\.0\.113|session/);
  });

  it('are a short human line under npm start: time, method, route, status, ms — and still nothing personal', async () => {
    const { lines, out } = captured();
    app = await webWithLogs('pretty', out);
    await app.inject({ method: 'GET', ...personal });
    await app.inject({ method: 'GET', url: '/no-such-page?email=jana.schroeder%40example.de' });
    expect(lines.slice(-2)).toEqual([
      expect.stringMatching(/^\d\d:\d\d:\d\d GET \/health 200 \d+ ms$/),
      expect.stringMatching(/^\d\d:\d\d:\d\d GET \(no route\) 404 \d+ ms$/),
    ]);
    expect(lines.join('\n')).not.toMatch(/jana|example\.de|123456|secret-token|203\.0\.113|session|\{/);
  });
});

describe('prettyLogLine', () => {
  const at = new Date(2025, 4, 9, 14, 3, 7).getTime(); // local time, as the developer's clock shows it

  it('writes requests as method, route, status and ms', () => {
    expect(
      prettyLogLine({
        level: 30,
        time: at,
        pid: 7,
        hostname: 'h',
        reqId: 'req-1',
        req: { id: 'req-1', method: 'GET', route: '/ready' },
        res: { statusCode: 503 },
        ms: 12,
        msg: 'request',
      }),
    ).toBe('14:03:07 GET /ready 503 12 ms');
  });

  it('writes other records as their message and fields, naming levels above INFO', () => {
    expect(prettyLogLine({ time: at, msg: 'worker ready', region: 'eu', taskQueue: 'meridian-eu', pid: 42 })).toBe(
      '14:03:07 worker ready region=eu taskQueue=meridian-eu',
    );
    expect(prettyLogLine({ level: 40, time: at, msg: 'slow query', regions: ['eu', 'us'], note: 'two words' })).toBe(
      '14:03:07 WARN slow query regions=["eu","us"] note="two words"',
    );
    expect(prettyLogLine({ level: 'WARN', time: at, msg: 'Activity failed', attempt: 3 })).toBe(
      '14:03:07 WARN Activity failed attempt=3',
    );
  });

  it('puts an error’s stack on indented lines after it', () => {
    const line = prettyLogLine({
      level: 50,
      time: at,
      msg: 'region write failed',
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at write (db/region-writer.ts:1:1)' },
    });
    expect(line).toBe('14:03:07 ERROR region write failed\n    Error: boom\n    at write (db/region-writer.ts:1:1)');
  });

  it('passes a line that is not JSON through as it is', () => {
    const { lines, out } = captured();
    prettyStream(out).write('not json\n');
    expect(lines).toEqual(['not json']);
  });
});

describe('writeLog and MERIDIAN_LOG_FORMAT', () => {
  it('keeps the JSON line workers have always printed (tests and log collectors read it), or writes it for people', () => {
    const { lines, out } = captured();
    writeLog('json', { msg: 'worker ready', region: 'eu', taskQueue: 'meridian-eu', pid: 42 }, out);
    expect(lines).toEqual(['{"msg":"worker ready","region":"eu","taskQueue":"meridian-eu","pid":42}']);
    writeLog('pretty', { msg: 'worker ready', region: 'eu', taskQueue: 'meridian-eu', pid: 42 }, out);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d worker ready region=eu taskQueue=meridian-eu$/);
  });

  it('is JSON unless set (npm start sets pretty for its processes), and names a wrong value', () => {
    const base = {
      MERIDIAN_PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
      MERIDIAN_IDENTITY_HMAC_KEY: Buffer.alloc(32, 2).toString('base64'),
      MERIDIAN_SIGNING_KEYS: `s1:${Buffer.alloc(32, 3).toString('base64')}`,
    };
    expect(loadConfig(base).logFormat).toBe('json');
    expect(loadConfig({ ...base, MERIDIAN_LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(() => loadConfig({ ...base, MERIDIAN_LOG_FORMAT: 'xml' })).toThrow(/MERIDIAN_LOG_FORMAT/);
  });
});
