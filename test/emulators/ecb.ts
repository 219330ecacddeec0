import Fastify, { FastifyInstance } from 'fastify';
import { ECB_FEEDS, FxDay, formatEcbDailyXml } from '../../domain/fx';
import { readFxHistory } from '../../scripts/fx-import';

/**
 * A local stand-in for the ECB's euro reference-rate files (`/eurofxref-daily.xml`,
 * `/eurofxref-hist-90d.xml`, `/eurofxref-hist.xml`), serving the real history from
 * the repository (data/ecb) as the ECB would on its last day. Faults can be queued: an HTTP status,
 * or a body that is not the ECB's XML (as during its maintenance).
 */
export interface EcbEmulator {
  baseUrl: string;
  days: FxDay[];
  requests: string[];
  failNext(count: number, fault: number | 'garbage'): void;
  close(): Promise<void>;
}

export async function startEcbEmulator(days: FxDay[] = readFxHistory()): Promise<EcbEmulator> {
  const newestFirst = [...days].sort((a, b) => (a.date < b.date ? 1 : -1));
  const faults: (number | 'garbage')[] = [];
  const requests: string[] = [];
  const app: FastifyInstance = Fastify();
  const files: Record<string, () => FxDay[]> = {
    [`/${ECB_FEEDS.daily}`]: () => newestFirst.slice(0, 1),
    [`/${ECB_FEEDS['90d']}`]: () => newestFirst.slice(0, 64), // 90 calendar days ≈ 64 business days
    [`/${ECB_FEEDS.history}`]: () => newestFirst,
  };
  for (const [route, pick] of Object.entries(files)) {
    app.get(route, async (_request, reply) => {
      requests.push(route);
      const fault = faults.shift();
      if (typeof fault === 'number')
        return reply.code(fault).type('text/html').send(`<html><body>Error ${fault}</body></html>`);
      if (fault === 'garbage')
        return reply.type('text/html').send('<html><body>The site is under maintenance</body></html>');
      return reply.type('text/xml').send(formatEcbDailyXml(pick()));
    });
  }
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    baseUrl,
    days,
    requests,
    failNext(count, fault) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    close: () => app.close(),
  };
}
