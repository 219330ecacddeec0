import type { FastifyInstance } from 'fastify';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { describeIssues } from '../domain/validation';

/**
 * The codec endpoint the Temporal UI calls (`--ui-codec-endpoint`), so ops see decoded
 * payloads in their browser while Temporal's server only ever stores ciphertext. Registered on
 * the operator listener only (./operator.ts: operator token, X-Namespace). It speaks
 * the Temporal remote-codec protocol: POST /codec/decode and /codec/encode with
 * `{"payloads": [{"metadata": {k: base64}, "data": base64}]}`.
 */

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const bodySchema = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }))
    .max(1000, 'at most 1000 payloads per call'),
});
type JsonPayload = z.infer<typeof bodySchema>['payloads'][number];

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: p.data === undefined ? undefined : Buffer.from(p.data, 'base64'),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    ...(p.data ? { data: Buffer.from(p.data).toString('base64') } : {}),
  };
}

export function registerCodecRoutes(app: FastifyInstance, codec: PayloadCodec): void {
  for (const direction of ['encode', 'decode'] as const) {
    app.post(`/codec/${direction}`, async (request, reply) => {
      const parsed = bodySchema.safeParse(request.body);
      if (!parsed.success) {
        const problem = describeIssues(parsed.error, 'body', { first: true, separator: ' ' });
        return reply.code(400).send({ error: `codec request body is not {"payloads": [...]}: ${problem}` });
      }
      try {
        const out = await codec[direction](parsed.data.payloads.map(fromJson));
        return { payloads: out.map(toJson) };
      } catch (error) {
        // The message names a key ID or a failed check, never payload content.
        return reply.code(400).send({ error: `cannot ${direction} payloads: ${(error as Error).message}` });
      }
    });
  }
}
