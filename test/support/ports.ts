import { createServer, Server } from 'node:net';

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = await holdPort();
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Listens on a free port and keeps it, to play "something else already uses this port". */
export function holdPort(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
