export {
  equalsFilter,
  KLAVIYO_API,
  KLAVIYO_BASE_URL,
  KLAVIYO_REVISION,
  KLAVIYO_SCOPES,
  KlaviyoClient,
  klaviyoErrors,
} from './client';
export type { KlaviyoBulkJob, KlaviyoClientOptions, KlaviyoProfile, KlaviyoProfileLookup } from './client';
export { KlaviyoCredentials, KlaviyoSettings, klaviyoSystem } from './privacy';
export { emailOf, phoneOf, smsConsent, suppressionReasons } from './mapping';
