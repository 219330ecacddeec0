export {
  DEFAULT_SHOPEE_BASE_URL,
  MAX_DETAIL_BATCH,
  MAX_PAGE_SIZE,
  MAX_WINDOW_SECONDS,
  ORDER_DETAIL_FIELDS,
  ORDER_DETAIL_PATH,
  ORDER_LIST_PATH,
  SHOPEE_API,
  shopeeBaseString,
  ShopeeClient,
  shopeeSign,
} from './client';
export type { ShopeeClientOptions, ShopeeOrderListPage, ShopeeOrderListRequest } from './client';
export { mapShopeeOrder, SHOPEE_REGION_TIME_ZONES, shopeeUpdateTime } from './mapping';
export { ShopeeCredentials, shopeeConnector, ShopeeOrdersCursor, ShopeeSettings } from './sync';
