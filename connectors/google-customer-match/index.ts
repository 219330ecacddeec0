export {
  GOOGLE_ADS_API,
  GOOGLE_ADS_API_VERSION,
  GOOGLE_ADS_URL,
  GOOGLE_MAX_IDENTIFIERS,
  GoogleCustomerMatchClient,
} from './client';
export type { GoogleCustomerMatchOptions, GoogleJobResult } from './client';
export {
  GoogleCustomerMatchCredentials,
  GoogleCustomerMatchSettings,
  googleCustomerMatchClient,
  googleCustomerMatchSystem,
} from './privacy';
