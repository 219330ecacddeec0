import type { MeridianWeb } from '../../web/app';
import { createMeridianWeb } from '../../web/app';
import type { TestDeployment } from './deployment';
import { intakeHighWater, intakePendingThrough } from '../../db/intake-store';
import { eventually } from './eventually';

/** A running Meridian web server for a test deployment, with helpers to call it as a client would. */
export interface IngestionHarness {
  web: MeridianWeb;
  base: string;
  adminToken: string;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  send(
    writeKey: string,
    path: string,
    body: unknown,
    headers?: Record<string, string>,
    options?: { awaitProcessing?: boolean },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /**
   * Waits until the intake processor has written every call acknowledged so far (in every region):
   * what a client waits for before it reads a profile (docs/design/ingestion.md). `send` does it
   * after each acknowledgement unless told not to.
   */
  processed(): Promise<void>;
  /** A source; `server` unless said (most tests send as the Node SDKs do, from a brand's back end). */
  createSource(
    name: string,
    region: string,
    options?: { kind?: 'browser' | 'server'; allowedOrigins?: string[] },
  ): Promise<{ id: string; writeKey: string }>;
  close(): Promise<void>;
}

/** `port`: listen there (e.g. the port of MERIDIAN_PUBLIC_URL, which the browser SDKs are sent back to); any free one by default. */
export async function startIngestion(
  d: TestDeployment,
  options: { port?: number; processIntake?: boolean } = {},
): Promise<IngestionHarness> {
  // The web process runs the intake processors too unless told not to (a test with its own worker).
  const web = await createMeridianWeb(d.config, d.client, {
    poolSize: 4,
    processIntake: options.processIntake ?? true,
  });
  const base = await web.app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const adminToken = d.config.adminTokens[0]!.token;
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const processed = async () => {
    for (const region of d.config.regions.dataRegions) {
      const sql = d.regional(region.name).sql;
      const through = await intakeHighWater(sql);
      if (through === 0) continue;
      await eventually(
        async () => {
          if (await intakePendingThrough(sql, through)) throw new Error(`intake of ${region.name} not processed yet`);
        },
        30_000,
        20,
      );
    }
  };
  return {
    web,
    base,
    adminToken,
    admin,
    processed,
    async send(writeKey, path, body, headers = {}, sendOptions = {}) {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
          ...headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: any = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      if (res.status === 200 && (sendOptions.awaitProcessing ?? true)) await processed();
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async createSource(name, region, options = {}) {
      const { status, body } = await admin('POST', '/admin/sources', {
        name,
        region,
        kind: options.kind ?? 'server',
        ...options,
      });
      if (status !== 201) throw new Error(`creating source failed: ${status} ${JSON.stringify(body)}`);
      return { id: body.source.id, writeKey: body.writeKey };
    },
    close: () => web.close(),
  };
}
