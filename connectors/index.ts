import type { ConnectorDefinition, ConnectorSystem } from './framework';
import { amazonConnector } from './amazon';
import { fileImportConnector } from './file-import';
import { shopeeConnector } from './shopee';
import { shopifyConnector } from './shopify';

/**
 * Every connector Meridian can sync, by system, and the identifier type its customer IDs are
 * namespaced as (DESIGN.md, "One ID"): a Shopify customer 123 and an Amazon buyer 123 are two people.
 */
export const CONNECTORS: Partial<Record<ConnectorSystem, ConnectorDefinition<any, any>>> = {
  shopify: shopifyConnector,
  shopee: shopeeConnector,
  amazon: amazonConnector,
  file: fileImportConnector,
};

/** The platform identifier type of a connector's customer IDs; undefined when they are not identifiers (a file's row IDs). */
export const CUSTOMER_ID_TYPES: Partial<Record<ConnectorSystem, string>> = {
  shopify: 'shopify_customer',
  shopee: 'shopee_user',
  amazon: 'amazon_buyer',
};

export function connectorDefinition(system: string): ConnectorDefinition<unknown, unknown> {
  const definition = CONNECTORS[system as ConnectorSystem];
  if (!definition) throw new RangeError(`unknown connector system "${system}": use one of ${Object.keys(CONNECTORS).join(', ')}`);
  return definition;
}
