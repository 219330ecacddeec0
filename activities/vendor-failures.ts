import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ConnectorError, ConnectorRateLimited } from '../connectors/errors';

/**
 * Vendor errors become Temporal failures here, once, for every activity of a regional worker (syncs,
 * consent pushes, privacy operations): a connector throws its classified ConnectorError and the
 * activity records what it must (a system's status row) and rethrows it; this interceptor turns it
 * into the failure Temporal acts on. Refused for good (auth, a bad request, a refused host, a manual
 * action) → non-retryable; throttled → retried after the vendor's wait; anything else → retried with
 * the activity's backoff. The message is the connector's, which names the system and never holds
 * personal data.
 */

export function vendorFailure(error: ConnectorError): ApplicationFailure {
  if (!error.retryable) return ApplicationFailure.nonRetryable(error.message, error.name);
  return ApplicationFailure.create({
    message: error.message,
    type: error.name,
    ...(error instanceof ConnectorRateLimited ? { nextRetryDelay: error.retryAfterMs } : {}),
  });
}

/** Register on every regional worker: `interceptors: { activity: [vendorFailureInterceptor] }`. */
export const vendorFailureInterceptor: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (error) {
        throw error instanceof ConnectorError ? vendorFailure(error) : error;
      }
    },
  },
});
