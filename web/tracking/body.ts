import { Readable, Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * How tracking request bodies are read, so every SDK's default request is accepted:
 *
 * - JSON under any of the media types the SDKs send: `application/json`; `text/plain` (analytics.js
 *   and navigator.sendBeacon, which avoid a CORS preflight that way); `application/x-www-form-urlencoded`
 *   (RudderStack's Node SDK posts a gzipped Buffer through axios, which labels it so). The body is
 *   parsed as JSON whatever the label says; other media types get 415.
 * - `Content-Encoding: gzip` (RudderStack's Node SDK, by default) and `deflate` (zlib format, RFC 9110),
 *   or both. The route's size limit applies to the decompressed body: decoding stops at the limit
 *   and the request gets 413, so a small compression bomb costs at most one limit of memory.
 *   Any other encoding gets 415 naming the supported ones.
 */

export const SUPPORTED_ENCODINGS = ['gzip', 'deflate'] as const;
const JSON_MEDIA_TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded'];
/** More layers than this is no SDK's doing. */
const MAX_ENCODING_LAYERS = 2;

/** A request body refused while reading it; `statusCode` and `message` are the answer. */
export class BodyError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The codings in the order they were applied, or a refusal. `identity` is no coding. */
export function contentCodings(
  header: string | undefined,
): { ok: true; codings: ('gzip' | 'deflate')[] } | { ok: false; reason: string } {
  const listed = (header ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  const codings: ('gzip' | 'deflate')[] = [];
  for (const coding of listed) {
    if (coding === 'gzip' || coding === 'x-gzip') codings.push('gzip');
    else if (coding === 'deflate') codings.push('deflate');
    else
      return {
        ok: false,
        reason: `Content-Encoding "${coding.slice(0, 32)}" is not supported: send the body uncompressed, or as ${SUPPORTED_ENCODINGS.join(' or ')}`,
      };
  }
  if (codings.length > MAX_ENCODING_LAYERS) {
    return {
      ok: false,
      reason: `the body is compressed ${codings.length} times: compress it once, with ${SUPPORTED_ENCODINGS.join(' or ')}`,
    };
  }
  return { ok: true, codings };
}

/**
 * A decoding stream for the request's body that never yields more than `limit` bytes: past it,
 * it fails with 413 and stops reading. Carries `receivedEncodedLength` (bytes read off the wire),
 * which fastify compares with Content-Length.
 */
function decodedBody(raw: Readable, codings: ('gzip' | 'deflate')[], limit: number, kind: string): Readable {
  let encoded = 0;
  raw.on('data', (chunk: Buffer) => {
    encoded += chunk.length;
  });
  let decoded = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      decoded += chunk.length;
      if (decoded > limit) {
        callback(
          new BodyError(
            413,
            `the ${kind} is over ${limit} bytes once decompressed; the limit is ${limit} bytes per ${kind} (after decompression)`,
          ),
        );
        return;
      }
      callback(null, chunk);
    },
  });
  // Codings are listed in the order applied: undo the last first.
  const decoders = [...codings].reverse().map((c) => (c === 'gzip' ? createGunzip() : createInflate()));
  let stage: Readable = raw;
  for (const decoder of decoders) stage = stage.pipe(decoder);
  stage.pipe(limiter);
  for (const decoder of decoders) {
    decoder.on('error', () =>
      limiter.destroy(
        new BodyError(
          400,
          `the body is not valid ${codings.join(' + ')} data: compress the whole JSON body once, or send it uncompressed`,
        ),
      ),
    );
  }
  raw.on('error', (error) => limiter.destroy(error));
  // Refused (413) or failed: stop inflating and stop reading.
  limiter.on('close', () => {
    for (const decoder of decoders) decoder.destroy();
    raw.unpipe();
  });
  // When fastify never reads the body (a media type it refuses), a decoding failure must not go unheard.
  limiter.on('error', () => {});
  Object.defineProperty(limiter, 'receivedEncodedLength', { get: () => encoded });
  return limiter;
}

/** Body kind named in size messages: batch routes take up to 500 KB, single calls 32 KB. */
export function bodyKindOf(request: FastifyRequest): 'batch' | 'event' {
  return (request.routeOptions.config as { bodyKind?: 'batch' | 'event' } | undefined)?.bodyKind ?? 'event';
}

/** Installs the parsers and the decoding hook on the tracking routes' scope. */
export function registerTrackingBodies(scope: FastifyInstance): void {
  // Replaces fastify's own JSON and text parsers in this scope only.
  scope.addContentTypeParser(JSON_MEDIA_TYPES, { parseAs: 'string' }, scope.getDefaultJsonParser('remove', 'remove'));

  scope.addHook('preParsing', async (request, _reply, payload) => {
    const codings = contentCodings(request.headers['content-encoding']);
    if (!codings.ok) throw new BodyError(415, codings.reason);
    if (codings.codings.length === 0 || request.method !== 'POST') return payload;
    const limit = request.routeOptions.bodyLimit ?? scope.initialConfig.bodyLimit ?? 1024 * 1024;
    return decodedBody(payload, codings.codings, limit, bodyKindOf(request));
  });
}

/** The media-type refusal, naming what is accepted. */
export const UNSUPPORTED_MEDIA_TYPE = `send the body as JSON, with Content-Type ${JSON_MEDIA_TYPES.join(', ')}`;
