// Every Meridian workflow, one file per process. Workers bundle this file once.
export { regionHealth } from './region-health';
export { identityMerge, mergeRequested } from './identity-merge';
export { fxRatesSync } from './fx-rates-sync';
export { connectorSync, syncProgressQuery } from './connector-sync';
export { consentPropagation, manualTaskCompleted, propagationStatusQuery } from './consent-propagation';
export {
  privacyRequest,
  cancelPrivacyRequest,
  extendPrivacyRequest,
  privacyManualTaskCompleted,
  privacyRequestStatusQuery,
} from './privacy-request';
export { reclassification, reclassificationProgressQuery } from './reclassification';
export { computedTraitsRefresh } from './computed-traits-refresh';
export { predictions } from './predictions';
export { segmentRecompute, segmentMaintenance } from './segments';
export { adAudienceSync } from './ad-audience-sync';
export {
  journeyRun,
  journeyEvent,
  journeySegmentEntered,
  journeyProfileMerged,
  journeyRunStatusQuery,
} from './journey';
export { loyaltyOrders, loyaltyMaintenance, loyaltySync } from './loyalty';
export { messageSend } from './message-send';
export { connectorDelivery } from './connector-delivery';
export { adConversionUpload } from './ad-conversion-upload';
export { broadcast } from './broadcast';
export { broadcastProgressQuery, pauseBroadcast, resumeBroadcast, cancelBroadcast } from './definitions';
export { insightsRefresh } from './insights';
