export { TIKTOK_API, TIKTOK_MAX_ROWS, TIKTOK_URL, TikTokAudiencesClient } from './client';
export type { TikTokAudiencesOptions } from './client';
export {
  TikTokAudiencesCredentials,
  TikTokAudiencesSettings,
  tiktokAudiencesClient,
  tiktokAudiencesSystem,
} from './privacy';
