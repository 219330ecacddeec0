export { linkRelations, quotedSearchValue, SHOPIFY_API, ShopifyClient } from './client';
export type { ShopifyClientOptions, ShopifyCursor, ShopifyPage, ShopifyResource } from './client';
export { mapShopifyCustomer, mapShopifyOrder } from './mapping';
export { shopifyPrivacySystem } from './privacy';
export { ShopifyCredentials, shopifyConnector, ShopifySettings } from './sync';
