export { AmazonSpApiClient, DEFAULT_ENDPOINT, ORDERS_PATH, RESTRICTED_DATA_TOKEN_PATH, SP_API } from './client';
export type { AmazonClientOptions, GetOrdersRequest, OrdersPage } from './client';
export { DEFAULT_LWA_URL, LWA_API, LwaTokenSource, sharedTokenCache, TokenCache } from './lwa';
export type { AccessToken, LwaCredentials } from './lwa';
export {
  AMAZON_MARKETPLACES,
  AMAZON_REGION_ENDPOINTS,
  amazonMarketplace,
  amazonUpdatedAt,
  mapAmazonOrder,
} from './mapping';
export { AmazonCredentials, amazonConnector, amazonEndpoint, AmazonSettings } from './sync';
