import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

/**
 * `npm start`'s mailbox: a local SMTP server that keeps every message as an .eml file in
 * `.data/mail/`, so the privacy portal's verification codes and notices can be read during
 * development without a mail provider. Production sets MERIDIAN_SMTP_URL instead.
 */
export async function startDevMailbox(dir: string): Promise<{ url: string; dir: string; close(): Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received++;
        writeFileSync(
          path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${received}.eml`),
          Buffer.concat(chunks),
        );
        done();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    dir,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
