import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { listExports, openExport } from '../../db/privacy-export-store';
import type { RegionKey } from '../../db/crypto-shredding';
import type { Sql } from 'postgres';
import {
  createPrivacyRequest,
  emailBlindIndex,
  type EmailRules,
  mergePrivacySystems,
  PrivacyRequestInputError,
  PrivacyRequestView,
  readPrivacyRequest,
  requesterEmail,
  verificationAttemptsLeft,
  verifyPrivacyRequest,
  withdrawUnverifiedRequest,
} from '../../db/privacy-requests-store';
import {
  checkExportSignature,
  checkPreferenceSignature,
  checkUnsubscribeSignature,
  checkStatusToken,
  exportSignature,
  preferenceSignature,
  statusToken,
} from '../../domain/privacy-links';
import { isLocale, Locale, type MessageKey, negotiateLocale } from '../../domain/privacy-messages';
import { isCancellable, publicRequestStatus, publicSystemStatus } from '../../domain/privacy-statuses';
import type { RegionCatalog } from '../../domain/regions';
import type { SigningKeys } from '../../domain/signing-keys';
import { MailSendError } from '../../mail/mailer';
import { loggableError } from '../error-log';
import type { SharedRateLimiter } from '../request-limits';
import {
  countryOptions,
  PORTAL_CSS,
  PORTAL_CSS_PATH,
  RequestFormError,
  renderCheckEmail,
  renderConfirmVerification,
  renderMessage,
  renderPreferenceCentre,
  renderRequestForm,
  renderStatus,
} from './pages';
import { ConsentInputError, readConsent, readPropagations, recordConsent } from '../../db/consent-store';
import { PURPOSES } from '../../domain/consent';
import { type Channel, MARKETING_CONSENT } from '../../domain/send-gate';
import type { PrivacyRequestWorkflowInput } from '../../domain/workflow-inputs';
import type { PortalMailer } from '../../mail/privacy-mailer';
import { consentPropagationWorkflowId } from '../../temporal/processes/consent-propagation';
import { startRecordedPropagation } from '../../temporal/consent-outbox';
import { cancelPrivacyRequestSaga, startPrivacyRequest } from '../../temporal/processes/privacy-request';
import { privacyDocs, verificationCode } from './route-schemas';

/**
 * The privacy portal's requests: file one (any email: the answer is the same whether or not
 * Meridian knows the person), verify it with the emailed code (the emailed link opens a page whose
 * button confirms with a POST), see its status with the link that verifying gives (it expires; a
 * new one is emailed on request), cancel a deletion during its cooling-off window. Verifying starts
 * the privacyRequest workflow (`dsar-<requestId>`). Routes answer JSON; the localised pages render
 * the same views.
 */

export interface PrivacyPortalDeps {
  regions: RegionCatalog;
  regional: ReadonlyMap<string, { sql: Sql; key: RegionKey }>;
  /** Key of the identifier blind index: a request is filed under the token ingestion wrote. */
  hmacKey: Buffer;
  /** The workspace's email rules (Gmail dots, plus-addresses), as ingestion applies them now. */
  emailRules: () => EmailRules;
  /** Keys of the portal's links, anti-forgery tokens and verification codes. */
  signingKeys: SigningKeys;
  temporal: Client;
  mailer: PortalMailer;
  /** How requesters reach this server, for links in emails, e.g. https://privacy.example.com. */
  publicUrl: string;
  coolingOffSeconds: number;
  /** Days a status link works (default 30). */
  statusLinkDays?: number;
  /** Requests per hour per email (and ten times that per client address). */
  requestsPerHour?: number;
  /** Counters shared by every web server, in the global database. */
  rateLimiter: SharedRateLimiter;
  /** The consent scope of a brand (db/brands-store.ts cachedConsentBrandOf), for one-click unsubscribe. */
  consentBrandOf?: (brandId: string) => Promise<string | null>;
}

/** New status links a request may have emailed per hour. */
const STATUS_LINKS_PER_HOUR = 3;

/** A page to show a browser for this error: title, body and perhaps a button. */
type ErrorPage = { titleKey: MessageKey; bodyKey: MessageKey; form?: 'new-status-link' };

export class PortalError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly page?: ErrorPage,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** A wrong verification code, and how many more the request takes before it is locked. */
class WrongCodeError extends PortalError {
  constructor(
    readonly attemptsLeft: number,
    what = 'code: that code is not right; check the latest email from us',
  ) {
    super(400, `${what} (${attemptsLeft} ${attemptsLeft === 1 ? 'attempt' : 'attempts'} left)`);
  }
}

/** The mail server is slow or down: say so in the requester's terms, and keep its reply (which may quote an address) out of it. */
const mailUnavailable = () =>
  new PortalError(
    503,
    'the email could not be sent: our mail server is not answering; please try again in a few minutes',
    {
      titleKey: 'error.mailUnavailable.title',
      bodyKey: 'error.mailUnavailable.body',
    },
  );

/** The page a browser gets; JSON for API clients. */
const wantsHtml = (request: { headers: Record<string, string | string[] | undefined> }) => {
  const type = String(request.headers['content-type'] ?? '');
  return (
    type.startsWith('application/x-www-form-urlencoded') ||
    (!type && String(request.headers.accept ?? '').includes('text/html'))
  );
};

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

type UnsubscribeQuery = { region?: string; brand?: string; channel?: string; sig?: string };

export function registerPrivacyRoutes(app: FastifyInstance, deps: PrivacyPortalDeps): void {
  const perEmail = deps.requestsPerHour ?? 5;
  const perClient = perEmail * 10;
  const statusLinkMs = (deps.statusLinkDays ?? 30) * 86_400_000;
  /**
   * A form's anti-forgery token is the signature of a nonce kept in a cookie (double submit). On
   * https the cookie is Secure and __Host- prefixed: only this origin, over TLS, can set or read it.
   */
  const secure = deps.publicUrl.startsWith('https:');
  const csrfCookie = secure ? '__Host-meridian_privacy_csrf' : 'meridian_privacy_csrf';
  const csrfCookieAttributes = secure
    ? 'Path=/; Secure; HttpOnly; SameSite=Strict'
    : 'Path=/privacy; HttpOnly; SameSite=Strict';

  /** Counts a hit and refuses with 429 (and when to retry) over the limit. */
  const limit = async (bucket: string, value: string, max: number, message: string) => {
    const decision = await deps.rateLimiter.hit(bucket, value, max);
    if (!decision.allowed) throw new PortalError(429, message, undefined, decision.retryAfterSeconds);
  };

  app.register(async (scope) => {
    // HTML forms post application/x-www-form-urlencoded.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
      const known = error instanceof PortalError || (error.statusCode !== undefined && error.statusCode < 500);
      const status = known ? (error.statusCode ?? 400) : 500;
      // The class and code only: a message can quote what the requester typed.
      if (!known) request.log.error({ err: loggableError(error) }, 'privacy portal request failed');
      if (error instanceof PortalError && error.retryAfterSeconds)
        reply.header('retry-after', String(error.retryAfterSeconds));
      const errorPage: ErrorPage | undefined = known
        ? error instanceof PortalError
          ? error.page
          : undefined
        : { titleKey: 'error.generic.title', bodyKey: 'error.generic.body' };
      if (errorPage && wantsHtml(request)) {
        const id = (request.params as { id?: string } | undefined)?.id;
        const form =
          errorPage.form === 'new-status-link' && id
            ? {
                action: `/privacy/requests/${id}/status-link`,
                csrfToken: issueCsrf(reply),
                labelKey: 'status.newLink.submit' as const,
              }
            : undefined;
        return page(
          reply,
          status,
          renderMessage(localeOf(request), {
            titleKey: errorPage.titleKey,
            bodyKey: errorPage.bodyKey,
            ...(form ? { form } : {}),
          }),
        );
      }
      return reply
        .code(status)
        .send({ error: known ? error.message : 'something went wrong on our side; please try again in a few minutes' });
    });

    function localeOf(
      request: { headers: Record<string, string | string[] | undefined>; query?: unknown },
      preferred?: string,
    ): Locale {
      const lang = (request.query as { lang?: string } | undefined)?.lang;
      return negotiateLocale(String(request.headers['accept-language'] ?? ''), lang ?? preferred);
    }
    /** A fresh nonce cookie and its token for a page with a form. */
    function issueCsrf(reply: FastifyReply): string {
      const nonce = randomBytes(16).toString('base64url');
      reply.header('set-cookie', `${csrfCookie}=${nonce}; ${csrfCookieAttributes}`);
      return deps.signingKeys.sign('privacy-csrf', nonce);
    }
    const csrfOk = (request: { headers: Record<string, string | string[] | undefined>; body?: unknown }): boolean => {
      const nonce = cookieValue(String(request.headers.cookie ?? ''), csrfCookie);
      const token = (request.body as Record<string, unknown> | undefined)?.csrf;
      return !!nonce && deps.signingKeys.verify('privacy-csrf', nonce, token);
    };
    function page(reply: FastifyReply, status: number, html: string) {
      return reply
        .code(status)
        .header('content-type', 'text/html; charset=utf-8')
        .header(
          'content-security-policy',
          "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .send(html);
    }

    // Each route's `schema` documents it (./route-schemas.ts, web/openapi.ts); test/unit/openapi.test.ts checks every one has one.
    scope.get(PORTAL_CSS_PATH, { schema: privacyDocs.stylesheet }, async (_request, reply) =>
      reply
        .header('content-type', 'text/css; charset=utf-8')
        .header('cache-control', 'public, max-age=3600')
        .send(PORTAL_CSS),
    );

    scope.get('/privacy', { schema: privacyDocs.form }, async (request, reply) => {
      const locale = localeOf(request);
      return page(
        reply,
        200,
        renderRequestForm(locale, {
          csrfToken: issueCsrf(reply),
          countries: countryOptions(locale),
          selfPath: '/privacy',
        }),
      );
    });

    /** Finds a request by ID in whichever region holds it. */
    const locate = async (id: string): Promise<{ region: string; sql: Sql; view: PrivacyRequestView }> => {
      if (!/^pr_[0-9a-f]{16}$/.test(id)) throw new PortalError(404, 'no such request');
      for (const [region, r] of deps.regional) {
        const view = await readPrivacyRequest(r.sql, id);
        if (view)
          return {
            region,
            sql: r.sql,
            view: {
              ...view,
              systems: await mergePrivacySystems(
                [...deps.regional.values()].map((x) => x.sql),
                id,
              ),
            },
          };
      }
      throw new PortalError(404, 'no such request');
    };

    const requireToken = (id: string, token: unknown) => {
      const check = checkStatusToken(deps.signingKeys, id, token);
      if (check === 'invalid')
        throw new PortalError(403, 'this link is not valid for that request: use the link from our email');
      if (check === 'expired') {
        throw new PortalError(
          410,
          `this status link has expired: ask for a new one (POST /privacy/requests/${id}/status-link) and we will email it to the address the request was made with`,
          {
            titleKey: 'status.linkExpired.title',
            bodyKey: 'status.linkExpired.body',
            form: 'new-status-link',
          },
        );
      }
    };

    /** The status page's address with a token that expires after the configured days. */
    const statusPath = (id: string, expiresAt = new Date(Date.now() + statusLinkMs)) =>
      `/privacy/requests/${id}?token=${statusToken(deps.signingKeys, id, expiresAt)}`;
    const statusUrl = (id: string) => `${deps.publicUrl}${statusPath(id)}`;
    /** The token of the link being used, kept in the links the page makes (cancel, downloads). */
    const tokenOf = (request: FastifyRequest) => String((request.query as { token?: string }).token ?? '');

    /** Sends an email; a slow or down mail server becomes a clear 503, not a 500 or a ten-minute wait. */
    const sendMail = async (send: () => Promise<void>) => {
      try {
        await send();
      } catch (error) {
        if (error instanceof MailSendError) throw mailUnavailable();
        throw error;
      }
    };

    scope.post('/privacy/requests', { schema: privacyDocs.file }, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (wantsHtml(request)) {
        const locale = localeOf(request, typeof body.locale === 'string' ? body.locale : undefined);
        const again = (error: RequestFormError, status = 400) =>
          page(
            reply,
            status,
            renderRequestForm(locale, {
              csrfToken: issueCsrf(reply),
              countries: countryOptions(locale),
              error,
              values: Object.fromEntries(
                ['type', 'email', 'country', 'usState', 'details']
                  .filter((k) => typeof body[k] === 'string')
                  .map((k) => [k, String(body[k])]),
              ),
              selfPath: '/privacy',
            }),
          );
        if (!csrfOk(request)) return again({ key: 'form.error.session' }, 403);
        try {
          const filed = await fileRequest(request.ip, { ...body, locale });
          return page(
            reply,
            200,
            renderCheckEmail(locale, { requestId: filed.requestId, csrfToken: issueCsrf(reply) }),
          );
        } catch (error) {
          if (!(error instanceof PortalError) || error.statusCode !== 400) throw error;
          const field = /^(type|email|country|usState|details)\b/.exec(error.message)?.[1] as
            | RequestFormError['field']
            | undefined;
          return again(
            field ? { field, key: `form.error.${field}` as RequestFormError['key'] } : { key: 'form.error.type' },
          );
        }
      }
      const filed = await fileRequest(request.ip, body);
      return reply.code(202).send({
        requestId: filed.requestId,
        next: 'check your email for a code, or follow the link in it',
        dueDate: filed.dueDate,
      });
    });

    /** Files a request and emails its code; the same answer whether or not the email is known. */
    const fileRequest = async (
      ip: string,
      body: Record<string, unknown>,
    ): Promise<{ requestId: string; dueDate: string }> => {
      const country = typeof body.country === 'string' ? body.country.toUpperCase() : '';
      let region;
      try {
        region = deps.regions.homeRegionOf(country);
      } catch {
        throw new PortalError(400, 'country: choose the country you live in');
      }
      const regional = deps.regional.get(region.name);
      if (!regional)
        throw new PortalError(503, 'requests from your country cannot be taken right now; please try again later');
      const email = typeof body.email === 'string' ? body.email : '';
      const emailRules = deps.emailRules();
      const index = emailBlindIndex(deps.hmacKey, email, emailRules);
      if (!index) throw new PortalError(400, 'email: enter the email address you use with us');
      const tooMany = 'too many requests: please try again in an hour';
      await limit('privacy-client', ip, perClient, tooMany);
      await limit('privacy-email', index.toString('hex'), perEmail, tooMany);
      let created;
      try {
        created = await createPrivacyRequest(
          regional.sql,
          { regionKey: regional.key, hmacKey: deps.hmacKey, signingKeys: deps.signingKeys, emailRules },
          {
            type: body.type as never,
            email,
            country,
            ...(typeof body.usState === 'string' && body.usState ? { usState: body.usState } : {}),
            locale: typeof body.locale === 'string' && body.locale ? body.locale : 'en',
            ...(typeof body.details === 'string' && body.details ? { details: body.details } : {}),
          },
        );
      } catch (error) {
        if (error instanceof PrivacyRequestInputError) throw new PortalError(400, error.message);
        throw error;
      }
      const link = `${deps.publicUrl}/privacy/requests/${created.id}/verify?code=${created.code}`;
      const locale = typeof body.locale === 'string' ? body.locale : 'en';
      try {
        await sendMail(() =>
          deps.mailer.sendVerification({
            to: email.trim(),
            locale,
            requestId: created.id,
            code: created.code,
            link,
            expiresInMinutes: 30,
          }),
        );
      } catch (error) {
        // Nobody can verify a request whose code never left: it goes, and the requester is told to try again.
        await withdrawUnverifiedRequest(regional.sql, created.id);
        throw error;
      }
      // The same answer for everyone: whether we know this email is not revealed.
      return { requestId: created.id, dueDate: created.dueDate };
    };

    const verify = async (id: string, given: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const code = verificationCode.safeParse(given);
      const { region, sql, view } = await locate(id);
      // Not a code at all: no attempt is spent, and the requester is told how many are left.
      if (!code.success)
        throw new WrongCodeError(
          await verificationAttemptsLeft(sql, id),
          'code: enter the 6-digit code from our email',
        );
      const { result, attemptsLeft } = await verifyPrivacyRequest(sql, deps.signingKeys, id, code.data);
      if (result === 'wrong-code') throw new WrongCodeError(attemptsLeft);
      const messages: Record<Exclude<typeof result, 'verified' | 'wrong-code'>, [number, string]> = {
        expired: [410, 'the code has expired: please file the request again'],
        'too-many-attempts': [429, 'too many wrong codes: please file the request again'],
        'not-found': [404, 'no such request'],
        // No status link here: only the verifying transition gives one.
        'already-verified': [
          409,
          `this request is already confirmed: follow the status link in our email, or ask for a new one (POST /privacy/requests/${id}/status-link)`,
        ],
      };
      if (result !== 'verified') {
        const [status, error] = messages[result];
        throw new PortalError(status, error);
      }
      await startSaga(region, view);
      return { status: 200, body: { requestId: id, status: 'verified', statusUrl: statusUrl(id) } };
    };

    const startSaga = async (region: string, view: PrivacyRequestView) => {
      const input: PrivacyRequestWorkflowInput = {
        requestId: view.id,
        region,
        type: view.type,
        dueDate: view.dueDate,
        coolingOffSeconds: deps.coolingOffSeconds,
        queues: Object.fromEntries(deps.regions.dataRegions.map((r) => [r.name, r.taskQueue])),
      };
      try {
        await startPrivacyRequest(deps.temporal, deps.regions, input);
      } catch (error) {
        // A second click on the link: the request is already under way.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
    };

    scope.post<{ Params: { id: string } }>(
      '/privacy/requests/:id/verify',
      { schema: privacyDocs.verify },
      async (request, reply) => {
        const code = (request.body as Record<string, unknown> | undefined)?.code;
        if (wantsHtml(request)) {
          const locale = localeOf(request);
          if (!csrfOk(request))
            return page(
              reply,
              403,
              renderCheckEmail(locale, {
                requestId: request.params.id,
                csrfToken: issueCsrf(reply),
                error: { key: 'form.error.session' },
              }),
            );
          try {
            await verify(request.params.id, code);
            return reply.redirect(statusPath(request.params.id), 303);
          } catch (error) {
            if (!(error instanceof PortalError)) throw error;
            if (error instanceof WrongCodeError) {
              return page(
                reply,
                400,
                renderCheckEmail(locale, {
                  requestId: request.params.id,
                  csrfToken: issueCsrf(reply),
                  error: { key: 'verify.codeWrong.body', values: { attemptsLeft: error.attemptsLeft } },
                }),
              );
            }
            if (error.statusCode === 409) {
              return page(
                reply,
                409,
                renderMessage(locale, {
                  titleKey: 'verify.alreadyConfirmed.title',
                  bodyKey: 'verify.alreadyConfirmed.body',
                  form: {
                    action: `/privacy/requests/${request.params.id}/status-link`,
                    csrfToken: issueCsrf(reply),
                    labelKey: 'status.newLink.submit',
                  },
                }),
              );
            }
            const key =
              error.statusCode === 410
                ? 'verify.expired'
                : error.statusCode === 429
                  ? 'verify.tooManyAttempts'
                  : 'verify.invalid';
            return page(
              reply,
              error.statusCode,
              renderMessage(locale, {
                titleKey: `${key}.title` as never,
                bodyKey: `${key}.body` as never,
                action: { href: '/privacy', labelKey: 'portal.startOver' },
              }),
            );
          }
        }
        const result = await verify(request.params.id, code);
        return reply.code(result.status).send(result.body);
      },
    );

    // The link in the email: a page whose button confirms (a POST). Opening it changes nothing,
    // so mail scanners that follow links verify nothing.
    scope.get<{ Params: { id: string }; Querystring: { code?: string; lang?: string } }>(
      '/privacy/requests/:id/verify',
      { schema: privacyDocs.verifyPage },
      async (request, reply) => {
        const locale = localeOf(request);
        const { id } = request.params;
        const code = request.query.code?.trim() ?? '';
        if (!/^pr_[0-9a-f]{16}$/.test(id) || !/^\d{6}$/.test(code)) {
          return page(
            reply,
            404,
            renderMessage(locale, {
              titleKey: 'verify.invalid.title',
              bodyKey: 'verify.invalid.body',
              action: { href: '/privacy', labelKey: 'portal.startOver' },
            }),
          );
        }
        return page(
          reply,
          200,
          renderConfirmVerification(locale, {
            requestId: id,
            code,
            csrfToken: issueCsrf(reply),
            selfPath: `/privacy/requests/${id}/verify?code=${code}`,
          }),
        );
      },
    );

    // A new status link, emailed to the address the request was filed with (never shown here).
    scope.post<{ Params: { id: string } }>(
      '/privacy/requests/:id/status-link',
      { schema: privacyDocs.statusLink },
      async (request, reply) => {
        const html = wantsHtml(request);
        if (html && !csrfOk(request))
          throw new PortalError(403, 'this form has expired: reload the page and try again');
        const { id } = request.params;
        const { region, sql, view } = await locate(id);
        await limit('privacy-client', request.ip, perClient, 'too many requests: please try again in an hour');
        await limit(
          'privacy-status-link',
          id,
          STATUS_LINKS_PER_HOUR,
          'a new link was sent several times in the last hour: check your email, or try again in an hour',
        );
        // Unverified requests get nothing: a link would only be a way to send mail to someone else's address.
        const requester =
          view.status === 'awaiting-verification'
            ? undefined
            : await requesterEmail(sql, deps.regional.get(region)!.key, id);
        if (requester) {
          const expiresAt = new Date(Date.now() + statusLinkMs);
          const link = `${deps.publicUrl}${statusPath(id, expiresAt)}`;
          await sendMail(() =>
            deps.mailer.sendStatusLink({
              to: requester.email,
              locale: requester.locale,
              requestId: id,
              link,
              expiresAt,
            }),
          );
        }
        const next = 'if we still hold the address this request was made with, a new link is on its way to it';
        if (!html) return reply.code(202).send({ requestId: id, next });
        return page(
          reply,
          202,
          renderMessage(localeOf(request, view.locale), {
            titleKey: 'checkEmail.title',
            bodyKey: 'status.newLink.sent',
          }),
        );
      },
    );

    scope.get<{ Params: { id: string }; Querystring: { token?: string; lang?: string } }>(
      '/privacy/requests/:id',
      { schema: privacyDocs.status },
      async (request, reply) => {
        requireToken(request.params.id, request.query.token);
        const { view } = await locate(request.params.id);
        const exports = view.type === 'access' ? await exportLinks(view.id, tokenOf(request)) : [];
        if (!wantsHtml(request)) return { ...publicView(view), exports };
        const locale = localeOf(request, isLocale(view.locale) ? view.locale : undefined);
        const canCancel = isCancellable(view.status);
        return page(
          reply,
          200,
          renderStatus(locale, {
            requestId: view.id,
            type: view.type,
            status: publicRequestStatus(view.status),
            receivedAt: view.receivedAt,
            dueDate: view.extendedDueDate ?? view.dueDate,
            ...(view.coolingOffUntil ? { coolingOffUntil: view.coolingOffUntil } : {}),
            canCancel,
            ...(canCancel
              ? {
                  cancelUrl: `/privacy/requests/${view.id}/cancel?token=${encodeURIComponent(tokenOf(request))}`,
                  csrfToken: issueCsrf(reply),
                }
              : {}),
            systems: view.systems
              .filter((s) => s.operation === 'erase')
              .map((s) => ({
                label: s.connectorId === 'meridian' ? `Meridian (${s.region})` : s.system,
                status: publicSystemStatus(s.status),
              })),
            ...(exports[0]
              ? {
                  exportUrl: exports[0].url,
                  moreExportUrls: exports.slice(1).map((e) => e.url),
                  exportExpiresAt: exports[0].expiresAt,
                }
              : {}),
            selfPath: `/privacy/requests/${view.id}?token=${encodeURIComponent(tokenOf(request))}`,
          }),
        );
      },
    );

    /** A signed, expiring link to one region's package: the status token (the one in use) proves the requester, the signature the expiry. */
    const exportLinks = async (id: string, token: string) => {
      const links = [];
      for (const [region, r] of deps.regional) {
        // A region may hold several packages of one request (two profiles with the address): each has its link.
        for (const p of await listExports(r.sql, id)) {
          const expires = Math.floor(new Date(p.expiresAt).getTime() / 1000);
          const sig = exportSignature(deps.signingKeys, id, region, expires, p.packageNo);
          const url = `${deps.publicUrl}/privacy/requests/${id}/exports/${region}?token=${encodeURIComponent(token)}&expires=${expires}${p.packageNo > 1 ? `&package=${p.packageNo}` : ''}&sig=${encodeURIComponent(sig)}`;
          links.push({ region, package: p.packageNo, bytes: p.bytes, expiresAt: p.expiresAt, url });
        }
      }
      return links;
    };

    scope.get<{
      Params: { id: string; region: string };
      Querystring: { token?: string; expires?: string; sig?: string; package?: string };
    }>('/privacy/requests/:id/exports/:region', { schema: privacyDocs.download }, async (request, reply) => {
      const { id, region } = request.params;
      requireToken(id, request.query.token);
      const packageNo = request.query.package === undefined ? 1 : Number(request.query.package);
      if (!Number.isInteger(packageNo) || packageNo < 1 || packageNo > 1000)
        throw new PortalError(404, 'no such package');
      const link = checkExportSignature(
        deps.signingKeys,
        id,
        region,
        request.query.expires,
        request.query.sig,
        new Date(),
        packageNo,
      );
      if (link === 'invalid')
        throw new PortalError(403, 'this download link is not valid: use the link from our email');
      if (link === 'expired') throw new PortalError(410, 'this download link has expired: file a new access request');
      const r = deps.regional.get(region);
      if (!r) throw new PortalError(404, 'no such package');
      const zip = await openExport(r.sql, r.key, id, packageNo);
      if (!zip)
        throw new PortalError(
          410,
          'this package is no longer available: packages are deleted when their link expires; file a new access request',
        );
      return reply
        .header('content-type', 'application/zip')
        .header(
          'content-disposition',
          `attachment; filename="meridian-export-${id}-${region}${packageNo > 1 ? `-${packageNo}` : ''}.zip"`,
        )
        .header('cache-control', 'no-store')
        .send(zip);
    });

    // ---------------------------------------------------------------------------------------------
    // Preference centre: the person's consent per purpose, and where each change stands per system
    // ---------------------------------------------------------------------------------------------

    type PreferenceQuery = { region?: string; expires?: string; sig?: string; lang?: string };
    const checkPreferenceLink = (customerId: string, query: PreferenceQuery) => {
      const region = query.region ?? '';
      const link = checkPreferenceSignature(deps.signingKeys, customerId, region, query.expires, query.sig);
      if (link === 'invalid') throw new PortalError(403, 'this link is not valid: use the link from our latest email');
      if (link === 'expired') throw new PortalError(410, 'this link has expired: use the link from our latest email');
      const regional = deps.regional.get(region);
      if (!regional) throw new PortalError(404, 'no such preferences');
      return regional;
    };
    const preferencesPath = (customerId: string, query: PreferenceQuery) =>
      `/privacy/preferences/${customerId}?region=${encodeURIComponent(query.region ?? '')}&expires=${encodeURIComponent(query.expires ?? '')}&sig=${encodeURIComponent(query.sig ?? '')}`;

    scope.get<{ Params: { customerId: string }; Querystring: PreferenceQuery }>(
      '/privacy/preferences/:customerId',
      { schema: privacyDocs.preferences },
      async (request, reply) => {
        const regional = checkPreferenceLink(request.params.customerId, request.query);
        const consent = await readConsent(regional.sql, request.params.customerId);
        if (!consent) throw new PortalError(404, 'no preferences recorded for this link');
        const [latest] = await readPropagations(regional.sql, request.params.customerId, 1);
        const view = {
          purposes: PURPOSES.map((purpose) => ({
            purpose,
            state: consent.effective[purpose].state,
            basis: consent.effective[purpose].basis,
          })),
          // Systems the change did not concern are left out: the person sees where their choice went.
          ...(latest
            ? {
                propagation: {
                  systems: latest.systems
                    .filter((s) => s.status !== 'not-applicable')
                    .map((s) => ({ label: s.system, status: publicSystemStatus(s.status) })),
                },
              }
            : {}),
        };
        if (!wantsHtml(request))
          return {
            ...view,
            ...(latest ? { propagation: { id: latest.id, status: latest.status, systems: latest.systems } } : {}),
          };
        const locale = localeOf(request);
        return page(
          reply,
          200,
          renderPreferenceCentre(locale, {
            ...view,
            formAction: preferencesPath(request.params.customerId, request.query),
            csrfToken: issueCsrf(reply),
            selfPath: preferencesPath(request.params.customerId, request.query),
          }),
        );
      },
    );

    scope.post<{ Params: { customerId: string }; Querystring: PreferenceQuery }>(
      '/privacy/preferences/:customerId',
      { schema: privacyDocs.choosePreferences },
      async (request, reply) => {
        const customerId = request.params.customerId;
        const regional = checkPreferenceLink(customerId, request.query);
        if (wantsHtml(request) && !csrfOk(request))
          throw new PortalError(403, 'this form has expired: reload the page and try again');
        const body = (request.body ?? {}) as Record<string, unknown>;
        const consent = await readConsent(regional.sql, customerId);
        if (!consent) throw new PortalError(404, 'no preferences recorded for this link');
        const at = new Date().toISOString();
        const reference = `preference-centre:${randomBytes(8).toString('hex')}`;
        // Only the purposes whose choice differs from what is in force become records.
        const records = PURPOSES.filter(
          (purpose) =>
            (body[purpose] === 'granted' || body[purpose] === 'denied') &&
            body[purpose] !== consent.effective[purpose].state,
        ).map((purpose) => ({
          purpose,
          state: body[purpose] as 'granted' | 'denied',
          source: 'preference-centre' as const,
          at,
          proof: { kind: 'preference-centre-form', reference },
        }));
        let stored;
        try {
          stored = await recordConsent(regional.sql, customerId, records);
        } catch (error) {
          if (error instanceof ConsentInputError) throw new PortalError(400, error.message);
          throw error;
        }
        if (stored.propagationId) {
          const region = request.query.region!;
          await startRecordedPropagation(deps.temporal, deps.regions, region, regional.sql, {
            propagationId: stored.propagationId,
            customerId,
          });
        }
        if (wantsHtml(request)) return reply.redirect(preferencesPath(customerId, request.query), 303);
        return {
          changes: stored.changes,
          ...(stored.propagationId
            ? { propagation: { workflowId: consentPropagationWorkflowId(stored.propagationId) } }
            : {}),
        };
      },
    );

    // ---------------------------------------------------------------------------------------------
    // One-click unsubscribe (RFC 8058): the List-Unsubscribe URL of a marketing message. The mail
    // client POSTs `List-Unsubscribe=One-Click` without cookies, so the signed link is the only
    // credential (no CSRF token); a GET would be followed by link scanners and changes nothing here.
    // ---------------------------------------------------------------------------------------------

    scope.post<{ Params: { customerId: string }; Querystring: UnsubscribeQuery }>(
      '/privacy/unsubscribe/:customerId',
      { schema: privacyDocs.unsubscribe },
      async (request) => {
        const customerId = request.params.customerId;
        const { region = '', brand = '', channel = '', sig } = request.query;
        const link = { customerId, region, brandId: brand, channel };
        const purpose = Object.hasOwn(MARKETING_CONSENT, channel) ? MARKETING_CONSENT[channel as Channel] : undefined;
        if (!checkUnsubscribeSignature(deps.signingKeys, link, sig) || !purpose)
          throw new PortalError(403, 'this unsubscribe link is not valid: use the link from our latest message');
        const regional = deps.regional.get(region);
        if (!regional) throw new PortalError(404, 'no such subscription');
        if (!deps.consentBrandOf) throw new PortalError(503, 'unsubscribing is not available here: try again later');
        const brandId = await deps.consentBrandOf(brand);
        const stored = await recordConsent(
          regional.sql,
          customerId,
          [
            {
              purpose,
              state: 'withdrawn',
              source: 'list-unsubscribe',
              at: new Date().toISOString(),
              proof: { kind: 'list-unsubscribe-one-click', reference: `one-click:${randomBytes(8).toString('hex')}` },
            },
          ],
          undefined,
          { brandId },
        ).catch((error) => {
          if (error instanceof ConsentInputError) throw new PortalError(404, 'no such subscription');
          throw error;
        });
        if (stored.propagationId)
          await startRecordedPropagation(deps.temporal, deps.regions, region, regional.sql, {
            propagationId: stored.propagationId,
            customerId,
          });
        return {
          unsubscribed: true,
          ...(stored.propagationId
            ? { propagation: { workflowId: consentPropagationWorkflowId(stored.propagationId) } }
            : {}),
        };
      },
    );

    scope.post<{ Params: { id: string }; Querystring: { token?: string } }>(
      '/privacy/requests/:id/cancel',
      { schema: privacyDocs.cancel },
      async (request, reply: FastifyReply) => {
        requireToken(request.params.id, request.query.token);
        const { view } = await locate(request.params.id);
        if (!isCancellable(view.status))
          throw new PortalError(
            409,
            'this request can no longer be cancelled: erasure has begun or the request is over',
          );
        if (wantsHtml(request) && !csrfOk(request))
          throw new PortalError(403, 'this form has expired: reload the page and try again');
        await cancelPrivacyRequestSaga(deps.temporal, view.id);
        if (wantsHtml(request)) return reply.redirect(statusPath(view.id), 303);
        return reply.code(202).send({ requestId: view.id, status: 'cancelling' });
      },
    );
  });
}

/**
 * A person's link to their preference centre: the customer ID and region, valid until `expires`
 * (Unix seconds), signed. Emails from Meridian carry it; the admin API makes one on request.
 */
export function preferenceLink(
  keys: SigningKeys,
  publicUrl: string,
  customerId: string,
  region: string,
  expires: number,
): string {
  const sig = preferenceSignature(keys, customerId, region, expires);
  return `${publicUrl}/privacy/preferences/${customerId}?region=${encodeURIComponent(region)}&expires=${expires}&sig=${encodeURIComponent(sig)}`;
}

/** What the requester may see: statuses and dates, the systems by name, the certificate. */
export function publicView(view: PrivacyRequestView) {
  return {
    requestId: view.id,
    type: view.type,
    status: view.status,
    receivedAt: view.receivedAt,
    dueDate: view.extendedDueDate ?? view.dueDate,
    ...(view.coolingOffUntil ? { coolingOffUntil: view.coolingOffUntil } : {}),
    systems: view.systems
      .filter((s) => s.operation === 'erase')
      .map((s) => ({ system: s.system, region: s.region, status: s.status })),
    ...(view.certificate ? { certificate: view.certificate } : {}),
  };
}
