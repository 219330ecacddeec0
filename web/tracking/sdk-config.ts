import type { Source } from '../../db/sources';

/**
 * What the browser SDKs fetch before they send anything, answered so that they send to Meridian:
 *
 * - analytics.js (`@segment/analytics-next`) reads `<cdn>/v1/projects/<writeKey>/settings`; its
 *   `Segment.io` integration says where events go (`apiHost`, `protocol`) and which key they
 *   carry (`apiKey`). Remote metrics are off (`sampleRate: 0`), so nothing goes to Segment.
 * - RudderStack's JavaScript SDK (v3) reads `<configUrl>/sourceConfig/?writeKey=…`; events go to
 *   its `dataPlaneUrl`. No device-mode destinations and no error or metrics reporting, so the SDK
 *   loads nothing from RudderStack's CDN and reports nothing to it.
 *
 * Neither answer holds anything the caller did not already have: the write key is theirs, and
 * the rest is Meridian's public address.
 */

/** Where the SDKs should send: the public URL's host and path, and its scheme. */
function trackingAddress(publicUrl: string): { apiHost: string; protocol: 'http' | 'https' } {
  const url = new URL(publicUrl);
  const path = url.pathname.replace(/\/+$/, '');
  return { apiHost: `${url.host}${path}/v1`, protocol: url.protocol === 'http:' ? 'http' : 'https' };
}

export function segmentSettings(writeKey: string, publicUrl: string) {
  const { apiHost, protocol } = trackingAddress(publicUrl);
  return {
    integrations: {
      'Segment.io': {
        apiKey: writeKey,
        apiHost,
        protocol,
        unbundledIntegrations: [],
        addBundledMetadata: true,
        maybeBundledConfigIds: {},
      },
    },
    plan: {
      track: { __default: { enabled: true, integrations: {} } },
      identify: { __default: { enabled: true } },
      group: { __default: { enabled: true } },
    },
    analyticsNextEnabled: true,
    middlewareSettings: {},
    enabledMiddleware: {},
    remotePlugins: [],
    edgeFunction: {},
    metrics: { sampleRate: 0 },
  };
}

export function rudderStackSourceConfig(source: Source) {
  return {
    isHosted: false,
    source: {
      id: source.id,
      name: source.id,
      enabled: true,
      workspaceId: 'meridian',
      config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
      destinations: [],
    },
  };
}

/** Browser keys are public, so their settings may sit in shared caches; a server key's may not. */
export function settingsCacheControl(source: Source): string {
  return `${source.kind === 'browser' ? 'public' : 'private'}, max-age=60`;
}
