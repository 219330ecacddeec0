import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A lean SMTP sink for `npm run bench:activation`: accepts every message (no auth, no TLS), reads
 * only the header block to find the Message-ID, and counts deliveries per Message-ID. It keeps no
 * body and no address, so it can take a hundred thousand messages without holding them.
 */
export interface SmtpSink {
  url: string;
  /** Deliveries per Message-ID (more than 1: delivered twice). */
  byMessageId: Map<string, number>;
  /** Messages accepted, and the instant of the first and last. */
  received: () => { count: number; firstAt: number; lastAt: number };
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const byMessageId = new Map<string, number>();
  let count = 0;
  let firstAt = 0;
  let lastAt = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    maxClients: 200,
    onData(stream, _session, callback) {
      let head = '';
      let done = false;
      stream.on('data', (chunk: Buffer) => {
        if (done) return;
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end >= 0) {
          head = head.slice(0, end);
          done = true;
        }
      });
      stream.on('end', () => {
        const id = /^message-id:\s*(<[^>]+>)/im.exec(head)?.[1] ?? '(none)';
        byMessageId.set(id, (byMessageId.get(id) ?? 0) + 1);
        const now = Date.now();
        if (count === 0) firstAt = now;
        lastAt = now;
        count++;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    byMessageId,
    received: () => ({ count, firstAt, lastAt }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
