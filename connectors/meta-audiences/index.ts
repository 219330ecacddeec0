export { META_API, META_API_VERSION, META_GRAPH_URL, META_MAX_ROWS, MetaAudiencesClient } from './client';
export type { MetaAudiencesClientOptions, MetaRemoveResult } from './client';
export { hashedPayload, normaliseEmail, normalisePhone, payloadOfRows, sha256Hex } from './mapping';
export type { MetaSchemaKey, MetaUserPayload } from './mapping';
export { MetaAudiencesCredentials, MetaAudiencesSettings, metaAudiencesSystem } from './privacy';
