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
export { loyaltyOrders, loyaltyMaintenance, loyaltySync } from './loyalty';
export { messageSend } from './message-send';
