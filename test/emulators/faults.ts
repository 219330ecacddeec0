import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The `timeout` fault every emulator offers: the request is taken and never answered, as a vendor
 * that hangs does; after `closeAfterMs` (if given) the connection is dropped, as a load balancer
 * would. `timers` is the emulator's set, cleared when it closes.
 */
export function stall(
  request: FastifyRequest,
  reply: FastifyReply,
  closeAfterMs: number | undefined,
  timers: Set<NodeJS.Timeout>,
): void {
  reply.hijack();
  if (closeAfterMs === undefined) return;
  const socket = request.raw.socket;
  const timer = setTimeout(() => {
    timers.delete(timer);
    socket.destroy();
  }, closeAfterMs);
  timers.add(timer);
}
