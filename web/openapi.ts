import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { rejectedItemSchema } from '../domain/tracking';

/**
 * The OpenAPI 3.1 document of the public listener, served at GET /openapi.json. It is generated
 * (by @fastify/swagger, with fastify-type-provider-zod turning zod into JSON Schema) from each
 * route's `schema`, whose body, querystring and params are the zod schemas the handler itself
 * parses with. Undocumented routes are left out (`hideUntagged`), and test/unit/openapi.test.ts
 * fails on any route that is not in the document.
 *
 * Documenting a route is one option on its declaration, beside its path:
 *
 *   scope.post('/admin/things', { schema: adminRoute({ summary: 'Create a thing', body: thingInput }) }, handler)
 *
 * with `trackingRoute`, `privacyRoute` or `serviceRoute` for the other APIs; add `querystring`,
 * `params` (only where a zod schema checks them: fastify documents path parameters by itself)
 * and `response: { 201: createdShape }` where a zod schema of the answer exists.
 *
 * The schemas document; they do not validate. Handlers keep parsing with zod themselves, because
 * their 400s name the field and the rule in the API's own words (tests and clients rely on them);
 * so fastify's validator and serializer compilers are replaced by pass-throughs below.
 *
 * The operator listener (web/operator.ts: codec, detailed readiness) is not in this document:
 * it is for operators only, behind its own token and usually a proxy; the codec follows Temporal's
 * remote codec protocol, documented by Temporal; and describing it on the public listener would
 * advertise an internal surface to anyone.
 */

export const OPENAPI_PATH = '/openapi.json';

// ---------------------------------------------------------------------------------------------
// Shapes every API shares (named components in the document)
// ---------------------------------------------------------------------------------------------

/** The answer of every refused admin or privacy portal request. */
export const errorAnswer = z
  .object({ error: z.string().describe('what was wrong and what to do, e.g. "region: must be one of eu, us, apac"') })
  .meta({ id: 'Error', description: 'A refused request: the field and the rule, or what to do next' });

/** The answer of every refused tracking request (Segment's shape). */
export const trackingErrorAnswer = z
  .object({
    success: z.literal(false),
    error: z.string().describe('the field and the rule, e.g. "event is required for track calls"'),
    rejected: z
      .array(rejectedItemSchema)
      .optional()
      .describe('a batch whose every item was refused: each item by index, with the reason'),
  })
  .meta({ id: 'TrackingError', description: "A refused tracking request, in Segment's shape" });

type Zod = z.ZodType;
/** A response: a zod schema of its JSON body, or per content type (HTML pages, downloads). */
type ResponseDoc = Zod | { description: string; content: Record<string, { schema: Zod }> };

/** A JSON answer with what it means, e.g. `201: json('the new source and its write key', sourceCreated)`. */
export const json = (description: string, schema: Zod) => ({
  description,
  content: { 'application/json': { schema } },
});

export interface RouteDoc {
  /** One line, as a reader of the list of operations wants it. */
  summary: string;
  description?: string;
  body?: Zod;
  querystring?: Zod;
  params?: Zod;
  headers?: Zod;
  response?: Record<number | string, ResponseDoc>;
  /** Only to say a tracking route needs no key (`[]`, e.g. one with the write key in its path). */
  security?: Record<string, string[]>[];
}

/** A route of the admin API: bearer token from MERIDIAN_ADMIN_TOKENS, errors as `{ error }`. */
export function adminRoute(doc: RouteDoc) {
  return {
    tags: ['admin'],
    security: [{ adminToken: [] }],
    ...doc,
    response: {
      ...doc.response,
      401: json('the admin token is missing or unknown', errorAnswer),
      403: json(
        'the token does not cover the region this acts in (or this is workspace-wide configuration and the token is scoped to regions)',
        errorAnswer,
      ),
      default: json(
        'refused: 400 names the field and the rule; 404 names what does not exist; 409, 503 say what to do',
        errorAnswer,
      ),
    },
  };
}

/** A route of the Segment-compatible tracking API: the source's write key, errors as `{ success: false, error }`. */
export function trackingRoute(doc: RouteDoc) {
  return {
    tags: ['tracking'],
    security: [{ writeKey: [] }],
    // navigator.sendBeacon and analytics.js send the JSON as text/plain, RudderStack's Node SDK as
    // application/x-www-form-urlencoded; it is read the same (web/tracking/body.ts), gzip or deflate too.
    consumes: ['application/json', 'text/plain', 'application/x-www-form-urlencoded'],
    ...doc,
    response: {
      ...doc.response,
      400: json('a field broke a rule (named in `error`), or the body is not JSON', trackingErrorAnswer),
      ...(doc.security?.length === 0 ? {} : { 401: json('the write key is missing or unknown', trackingErrorAnswer) }),
      403: json(
        "the request comes from a web page whose origin is not on the source's allowedOrigins",
        trackingErrorAnswer,
      ),
      413: json(
        "the body is over Segment's limit: 32 KB per call, 500 KB per batch (after decompression); or a batch over 5,000 KB once its context is merged into each item",
        trackingErrorAnswer,
      ),
      429: json(
        'too many events or bytes from this source, too many write-key lookups from this address, or the region is catching up: retry after Retry-After seconds',
        trackingErrorAnswer,
      ),
      default: json(
        "415: not JSON, or compressed other than gzip or deflate; 503: the source's region is not served here; 500: nothing was stored, retry",
        trackingErrorAnswer,
      ),
    },
  };
}

/** A route of the privacy portal: no account; links carry signed tokens. Browsers get pages, API clients JSON. */
export function privacyRoute(doc: RouteDoc) {
  return {
    tags: ['privacy'],
    // The portal's HTML forms post urlencoded fields (with their csrf token); API clients post JSON.
    consumes: ['application/json', 'application/x-www-form-urlencoded'],
    ...doc,
    response: {
      ...doc.response,
      default: json(
        'refused (JSON; a browser asking for HTML gets the page that says so): 400 names the field, 403/410 a link that is not valid or has expired, 429 too many requests',
        errorAnswer,
      ),
    },
  };
}

/** Health, readiness and this document. */
export function serviceRoute(doc: RouteDoc) {
  return { tags: ['service'], ...doc };
}

/**
 * A JSON object answer described in words, for routes whose answer has no zod schema yet: the
 * route's success is still documented as such (not left to `default`), fields unnamed.
 */
export const objectAnswer = (description: string) => json(description, z.looseObject({}));

/** A page for browsers (HTML). */
export const htmlPage = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

const TAGS = [
  {
    name: 'tracking',
    description:
      "Segment-compatible HTTP Tracking API: identify, track, page, screen, group, alias, batch. A 200 means the events are committed in the source's region.",
  },
  {
    name: 'admin',
    description:
      'Sources and write keys, identity rules, profiles, connectors and their syncs, FX rates, consent and privacy requests. A token scoped to regions acts only on what lives in them.',
  },
  {
    name: 'privacy',
    description:
      'The privacy portal: file a data subject request, verify it with the emailed code, follow its status; the preference centre. JSON for API clients, localised pages for browsers.',
  },
  {
    name: 'console',
    description:
      "The console's session API: sign in (password or OpenID Connect), the session and its CSRF token, sign out, preferences. The console then calls the admin API with the session cookie.",
  },
  { name: 'service', description: 'Health, bare readiness and this document.' },
];

/**
 * Must run before any route is registered: @fastify/swagger learns routes through onRoute. The
 * compilers set here are inherited by every scope registered after.
 */
export async function registerOpenApi(app: FastifyInstance, options: { publicUrl?: string } = {}): Promise<void> {
  // Documentation only: the handlers validate (see above). `true` leaves the request untouched.
  app.setValidatorCompiler(() => () => true);
  // What fastify does for a route without a response schema, so documenting one changes no answer.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Meridian',
        version: '1',
        description:
          'The public APIs of a Meridian web server: tracking (Segment-compatible), admin and the privacy portal.',
      },
      ...(options.publicUrl ? { servers: [{ url: options.publicUrl }] } : {}),
      tags: TAGS,
      components: {
        securitySchemes: {
          adminToken: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An admin token from MERIDIAN_ADMIN_TOKENS (`token:*` for all regions, `token:eu+us` for some).',
          },
          writeKey: {
            type: 'http',
            scheme: 'basic',
            description:
              'The source\'s write key as the user name, with an empty password, as Segment\'s libraries send it. It may instead be sent as "writeKey" in the JSON body.',
          },
        },
      },
    },
    hideUntagged: true,
    transform: createJsonSchemaTransform({ skipList: [] }),
    transformObject: jsonSchemaTransformObject,
  });

  app.get(
    OPENAPI_PATH,
    {
      schema: serviceRoute({
        summary: 'This OpenAPI 3.1 document',
        response: { 200: json('the OpenAPI document', z.looseObject({ openapi: z.string() })) },
      }),
    },
    async () => app.swagger(),
  );
}
