// Every Meridian workflow, one file per process. Workers bundle this file once.
//
// Each workflow's module is loaded when a run of it is created, not when this file is. The worker
// runs every workflow in one reused V8 context (the SDK's default, reuseV8Context) but gives each
// run its own module cache: a run created evaluates this file and every module it loads. Loaded
// eagerly, that was all of workflows/ with zod, the journey and broadcast schemas and the holiday
// calendars (date-holidays, moment-timezone) behind the send gate's quiet hours: about 34 ms of CPU
// and a few MB of heap for each journey run created, again at every replay after the run left the
// worker's cache (docs/design/activation.md, "Journeys at scale"). `require` here is webpack's,
// inside the bundle; the types come from the modules themselves.

import type { Workflow } from '@temporalio/workflow';

/** A workflow whose module is required (evaluated in the run's module cache) when the run starts. */
function onFirstCall<F extends Workflow>(load: () => F): F {
  return ((...args: Parameters<F>) => load()(...args)) as F;
}

export const regionHealth = onFirstCall(
  () => (require('./region-health') as typeof import('./region-health')).regionHealth,
);
export const identityMerge = onFirstCall(
  () => (require('./identity-merge') as typeof import('./identity-merge')).identityMerge,
);
export const fxRatesSync = onFirstCall(
  () => (require('./fx-rates-sync') as typeof import('./fx-rates-sync')).fxRatesSync,
);
export const connectorSync = onFirstCall(
  () => (require('./connector-sync') as typeof import('./connector-sync')).connectorSync,
);
export const consentPropagation = onFirstCall(
  () => (require('./consent-propagation') as typeof import('./consent-propagation')).consentPropagation,
);
export const privacyRequest = onFirstCall(
  () => (require('./privacy-request') as typeof import('./privacy-request')).privacyRequest,
);
export const reclassification = onFirstCall(
  () => (require('./reclassification') as typeof import('./reclassification')).reclassification,
);
export const computedTraitsRefresh = onFirstCall(
  () => (require('./computed-traits-refresh') as typeof import('./computed-traits-refresh')).computedTraitsRefresh,
);
export const predictions = onFirstCall(() => (require('./predictions') as typeof import('./predictions')).predictions);
export const segmentRecompute = onFirstCall(
  () => (require('./segments') as typeof import('./segments')).segmentRecompute,
);
export const segmentMaintenance = onFirstCall(
  () => (require('./segments') as typeof import('./segments')).segmentMaintenance,
);
export const adAudienceSync = onFirstCall(
  () => (require('./ad-audience-sync') as typeof import('./ad-audience-sync')).adAudienceSync,
);
export const journeyRun = onFirstCall(() => (require('./journey') as typeof import('./journey')).journeyRun);
export const loyaltyOrders = onFirstCall(() => (require('./loyalty') as typeof import('./loyalty')).loyaltyOrders);
export const loyaltyMaintenance = onFirstCall(
  () => (require('./loyalty') as typeof import('./loyalty')).loyaltyMaintenance,
);
export const loyaltySync = onFirstCall(() => (require('./loyalty') as typeof import('./loyalty')).loyaltySync);
export const messageSend = onFirstCall(
  () => (require('./message-send') as typeof import('./message-send')).messageSend,
);
export const connectorDelivery = onFirstCall(
  () => (require('./connector-delivery') as typeof import('./connector-delivery')).connectorDelivery,
);
export const adConversionUpload = onFirstCall(
  () => (require('./ad-conversion-upload') as typeof import('./ad-conversion-upload')).adConversionUpload,
);
export const broadcast = onFirstCall(() => (require('./broadcast') as typeof import('./broadcast')).broadcast);
export const insightsRefresh = onFirstCall(
  () => (require('./insights') as typeof import('./insights')).insightsRefresh,
);

// Signals and queries (no workflow code).
export {
  mergeRequested,
  syncProgressQuery,
  manualTaskCompleted,
  propagationStatusQuery,
  cancelPrivacyRequest,
  extendPrivacyRequest,
  privacyManualTaskCompleted,
  privacyRequestStatusQuery,
  reclassificationProgressQuery,
  journeyEvent,
  journeySegmentEntered,
  journeyProfileMerged,
  journeyRunStatusQuery,
  broadcastProgressQuery,
  pauseBroadcast,
  resumeBroadcast,
  cancelBroadcast,
} from './definitions';
