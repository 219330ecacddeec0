import { z } from 'zod';
import { PURPOSES } from '../../domain/consent';
import { privacyRequestInput } from '../../db/privacy-requests-store';
import { htmlPage, json, objectAnswer, privacyRoute } from '../openapi';

/**
 * What the privacy portal's routes take and answer, for their `schema` (web/openapi.ts). A
 * request's fields are checked by privacyRequestInput where it is created; a verification code by
 * `verificationCode` here. Links carry signed values (token, expires, sig) that the routes check
 * by signature, so they are documented as strings.
 */

/** The emailed code, as the verify route checks it (spaces around it are forgiven). */
export const verificationCode = z
  .string()
  .regex(/^\s*\d{6}\s*$/)
  .describe('the 6-digit code from the email');

const lang = z.string().optional().describe("the page's language (else Accept-Language)");
const token = z.string().describe('the token of the status link from our email (it expires)');
const preferenceLinkQuery = z.object({
  region: z.string().describe("the region holding the person's consent"),
  expires: z.string().describe('Unix seconds after which the link stops working'),
  sig: z.string().describe("the link's signature"),
  lang,
});

const requestFiled = z.object({
  requestId: z.string(),
  next: z.string(),
  dueDate: z.string().describe("YYYY-MM-DD, as the requester's law counts it"),
});
const choice = z.enum(['granted', 'denied']).optional();

export const privacyDocs = {
  form: privacyRoute({
    summary: 'The request form (HTML)',
    querystring: z.object({ lang }),
    response: { 200: htmlPage('the form, in the negotiated language') },
  }),
  file: privacyRoute({
    summary:
      'File a data subject request; a code is emailed to verify it (the same answer whether or not the email is known)',
    description:
      'Browsers post the form (application/x-www-form-urlencoded, with its csrf field) and get a page; API clients post JSON.',
    body: privacyRequestInput.partial({ locale: true }),
    response: { 202: json('filed: check your email for the code', requestFiled) },
  }),
  verify: privacyRoute({
    summary: 'Verify a request with the emailed code; this starts it',
    body: z.object({ code: verificationCode }),
    response: {
      200: json(
        'verified: the status link is in the answer',
        z.object({ requestId: z.string(), status: z.literal('verified'), statusUrl: z.string() }),
      ),
    },
  }),
  verifyPage: privacyRoute({
    summary: 'The emailed link: a page whose button confirms the code (opening it changes nothing)',
    querystring: z.object({ code: z.string().describe('the 6-digit code'), lang }),
    response: { 200: htmlPage('the confirmation page') },
  }),
  statusLink: privacyRoute({
    summary: 'Email a new status link to the address the request was made with',
    response: {
      202: json(
        'a new link is on its way, if we still hold the address',
        z.object({ requestId: z.string(), next: z.string() }),
      ),
    },
  }),
  status: privacyRoute({
    summary: "A request's status, per system, its certificate and access downloads",
    querystring: z.object({ token, lang }),
    response: {
      200: objectAnswer(
        "the request's type, status and dates, its status per system, its certificate once done, and links to access packages",
      ),
    },
  }),
  download: privacyRoute({
    summary: "Download one of a region's access packages (a signed, expiring link)",
    querystring: z.object({
      token,
      expires: z.string(),
      sig: z.string(),
      package: z.string().optional().describe("which of the region's packages, from 1 (absent: the first)"),
    }),
    response: { 200: { description: 'the package', content: { 'application/zip': { schema: z.string() } } } },
  }),
  preferences: privacyRoute({
    summary: "A person's preference centre: consent per purpose, and where the latest change stands per system",
    querystring: preferenceLinkQuery,
    response: { 200: objectAnswer("consent per purpose, and the latest change's status per system") },
  }),
  choosePreferences: privacyRoute({
    summary: 'Change consent per purpose from the preference centre',
    querystring: preferenceLinkQuery,
    body: z.object(Object.fromEntries(PURPOSES.map((purpose) => [purpose, choice]))),
    response: { 200: objectAnswer('the changes recorded, and the propagation started if any') },
  }),
  unsubscribe: privacyRoute({
    summary:
      "One-click unsubscribe (RFC 8058): withdraws the person's marketing consent for the link's channel and brand",
    description:
      "The URL of a marketing message's List-Unsubscribe header; mail clients POST `List-Unsubscribe=One-Click` to it. The signature covers person, region, brand and channel.",
    querystring: z.object({
      region: z.string().describe("the region holding the person's consent"),
      brand: z.string().describe('the brand the message came from'),
      channel: z.enum(['email', 'sms']).describe('the channel whose marketing consent is withdrawn'),
      sig: z.string().describe("the link's signature"),
    }),
    response: {
      200: json(
        'consent withdrawn; the propagation to connected systems started if it changed anything',
        z.object({ unsubscribed: z.literal(true), propagation: z.object({ workflowId: z.string() }).optional() }),
      ),
    },
  }),
  cancel: privacyRoute({
    summary: 'Cancel a deletion during its cooling-off window',
    querystring: z.object({ token }),
    response: {
      202: json('the saga is being cancelled', z.object({ requestId: z.string(), status: z.literal('cancelling') })),
    },
  }),
  /** A static asset of the pages, not an API. */
  stylesheet: { hide: true },
};
