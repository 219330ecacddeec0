import { catalogueSet } from './messages/i18n';
import { ar } from './messages/console/ar';
import { de } from './messages/console/de';
import { type ConsoleMessageKey, en } from './messages/console/en';
import { es } from './messages/console/es';
import { fr } from './messages/console/fr';
import { ja } from './messages/console/ja';
import { ko } from './messages/console/ko';
import { ptBR } from './messages/console/pt-BR';
import { th } from './messages/console/th';
import { zhHans } from './messages/console/zh-Hans';
import { zhHant } from './messages/console/zh-Hant';

/**
 * The console's words (issue 13), one catalogue file per locale in domain/messages/console/, read
 * by the browser app (console/src/i18n.tsx) through the same ICU mechanism as the privacy portal.
 */
export const CONSOLE_MESSAGES = catalogueSet<ConsoleMessageKey>(
  { en, de, fr, es, 'pt-BR': ptBR, ja, ko, 'zh-Hans': zhHans, 'zh-Hant': zhHant, th, ar },
  'domain/messages/console',
);
export type { ConsoleMessageKey };
