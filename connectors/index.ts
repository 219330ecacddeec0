import type { ConnectorDefinition, ConnectorSystem } from './framework';
import type { ConnectedSystem } from './privacy';
import { amazonConnector } from './amazon';
import { fileImportConnector } from './file-import';
import { lazadaConnector } from './lazada';
import { klaviyoSystem } from './klaviyo';
import { manualSystem } from './manual';
import { metaAudiencesSystem } from './meta-audiences';
import { shopifyPrivacySystem } from './shopify/privacy';
import { twilioSystem } from './twilio';
import { shopeeConnector } from './shopee';
import { shopifyConnector } from './shopify';
import { tiktokShopConnector } from './tiktok-shop';
import { hubspotConnector } from './hubspot';

/**
 * Every connector Meridian can sync, by system, and the identifier type its customer IDs are
 * namespaced as (DESIGN.md, "One ID"): a Shopify customer 123 and an Amazon buyer 123 are two people.
 */
export const CONNECTORS: Partial<Record<ConnectorSystem, ConnectorDefinition<any, any>>> = {
  shopify: shopifyConnector,
  shopee: shopeeConnector,
  lazada: lazadaConnector,
  amazon: amazonConnector,
  file: fileImportConnector,
  tiktok_shop: tiktokShopConnector,
  hubspot: hubspotConnector,
};

/** The platform identifier type of a connector's customer IDs; undefined when they are not identifiers (a file's row IDs). */
export const CUSTOMER_ID_TYPES: Partial<Record<ConnectorSystem, string>> = {
  shopify: 'shopify_customer',
  shopee: 'shopee_user',
  lazada: 'lazada_user',
  amazon: 'amazon_buyer',
  tiktok_shop: 'tiktok_shop_buyer',
  hubspot: 'hubspot_contact',
};

export function connectorDefinition(system: string): ConnectorDefinition<unknown, unknown> {
  const definition = CONNECTORS[system as ConnectorSystem];
  if (!definition)
    throw new RangeError(`unknown connector system "${system}": use one of ${Object.keys(CONNECTORS).join(', ')}`);
  return definition;
}

/**
 * Connected systems for privacy (`privacy.ts`): what consent propagation and privacy requests
 * reach. A connector whose system is here takes part; one with no API for an operation gets a
 * manual task for it.
 */
export const CONNECTED_SYSTEMS: Record<string, ConnectedSystem<any, any>> = {
  shopify: shopifyPrivacySystem,
  klaviyo: klaviyoSystem,
  twilio: twilioSystem,
  meta_audiences: metaAudiencesSystem,
  manual: manualSystem,
};

export function connectedSystem(system: string): ConnectedSystem<unknown, unknown> | undefined {
  return CONNECTED_SYSTEMS[system];
}
