export {
  MeridianTwilioHttpClient,
  TWILIO_API,
  TWILIO_API_ORIGIN,
  TWILIO_NOT_FINAL,
  TwilioApiError,
  TwilioMessagesClient,
} from './client';
export type { TwilioAuth, TwilioClientOptions, TwilioDeletion, TwilioMessageRecord } from './client';
export { isE164, phonesOf, recordOf } from './mapping';
export { TwilioCredentials, TwilioSettings, twilioSystem } from './privacy';
