import type { Purpose } from './consent';
import type { PublicRequestStatus, PublicSystemStatus } from './privacy-statuses';
import { catalogueSet, type Locale } from './messages/i18n';
import { ar } from './messages/privacy/ar';
import { de } from './messages/privacy/de';
import { en, type PrivacyCatalogue, type PrivacyMessageKey } from './messages/privacy/en';
import { es } from './messages/privacy/es';
import { fr } from './messages/privacy/fr';
import { ja } from './messages/privacy/ja';
import { ko } from './messages/privacy/ko';
import { ptBR } from './messages/privacy/pt-BR';
import { th } from './messages/privacy/th';
import { zhHans } from './messages/privacy/zh-Hans';
import { zhHant } from './messages/privacy/zh-Hant';

/**
 * Everything the privacy portal and its emails say. The words are in domain/messages/privacy/, one
 * catalogue file per locale (a translator touches one file; a missing or extra key fails the
 * typecheck); locale negotiation, rendering and dates are domain/messages/i18n.ts, shared with
 * every other set of messages.
 */

export {
  DEFAULT_LOCALE,
  formatDate,
  formatDateTime,
  isLocale,
  LOCALE_NAMES,
  type Locale,
  type MessageValues,
  negotiateLocale,
  SUPPORTED_LOCALES,
  textDirection,
} from './messages/i18n';

export type MessageKey = PrivacyMessageKey;

// ---------------------------------------------------------------------------------------------
// Vocabulary shown to people
// ---------------------------------------------------------------------------------------------

/** The request types the portal offers (portability rides on access; objection on opt-out or restriction). */
export const REQUEST_TYPES = ['access', 'deletion', 'correction', 'optOut', 'restriction'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

// Statuses and how each is shown: domain/privacy-statuses.ts (one vocabulary for workflow, stores and portal).
export {
  PUBLIC_REQUEST_STATUSES,
  PUBLIC_SYSTEM_STATUSES,
  type PublicRequestStatus,
  type PublicSystemStatus,
} from './privacy-statuses';

// ---------------------------------------------------------------------------------------------
// Catalogues
// ---------------------------------------------------------------------------------------------

export const MESSAGES: Readonly<Record<Locale, PrivacyCatalogue>> = {
  en,
  de,
  fr,
  es,
  'pt-BR': ptBR,
  ja,
  ko,
  'zh-Hans': zhHans,
  'zh-Hant': zhHant,
  th,
  ar,
};

export const PRIVACY_MESSAGES = catalogueSet<MessageKey>(MESSAGES, 'domain/messages/privacy');

export const MESSAGE_KEYS = PRIVACY_MESSAGES.keys;

/** The message `key` in `locale`, as plain text (callers escape it for HTML). */
export const t = PRIVACY_MESSAGES.t;

/** The arguments a message takes, by kind: used to check that every translation asks for what English asks for. */
export const messageArguments = PRIVACY_MESSAGES.messageArguments;

// ---------------------------------------------------------------------------------------------
// Typed keys for the vocabulary
// ---------------------------------------------------------------------------------------------

export function requestTypeKey(type: RequestType): MessageKey {
  return `request.type.${type}`;
}

export function requestStatusKey(status: PublicRequestStatus): MessageKey {
  return `status.state.${status}`;
}

export function systemStatusKey(status: PublicSystemStatus): MessageKey {
  return `system.status.${status}`;
}

export function purposeKey(purpose: Purpose, part: 'label' | 'help' = 'label'): MessageKey {
  return part === 'label' ? `prefs.purpose.${purpose}` : `prefs.purpose.${purpose}.help`;
}
