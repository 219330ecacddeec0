import IntlMessageFormat from 'intl-messageformat';
import type { Purpose } from './consent';

/**
 * Everything the privacy portal and its emails say, as data: one catalogue of ICU MessageFormat
 * strings per locale, rendered with intl-messageformat. English is the reference catalogue; the
 * type system makes every other catalogue list exactly the same keys, and a unit test checks that
 * each translation uses the same arguments as the English message.
 *
 * Dates are formatted here with Intl.DateTimeFormat in the reader's locale (Thai gets the Buddhist
 * calendar, Japanese 年月日, Arabic its month names) and passed into messages as text, so a
 * YYYY-MM-DD due date is never shifted a day by the server's time zone.
 */

// ---------------------------------------------------------------------------------------------
// Locales
// ---------------------------------------------------------------------------------------------

/** Arabic is offered so that right-to-left pages are exercised, not only supported in theory. */
export const SUPPORTED_LOCALES = ['en', 'de', 'fr', 'es', 'pt-BR', 'ja', 'ko', 'zh-Hans', 'zh-Hant', 'th', 'ar'] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];

export const DEFAULT_LOCALE: Locale = 'en';

/** Each locale's name in its own language, for the language switcher. */
export const LOCALE_NAMES: Record<Locale, string> = {
  en: 'English',
  de: 'Deutsch',
  fr: 'Français',
  es: 'Español',
  'pt-BR': 'Português (Brasil)',
  ja: '日本語',
  ko: '한국어',
  'zh-Hans': '简体中文',
  'zh-Hant': '繁體中文',
  th: 'ไทย',
  ar: 'العربية',
};

const RTL_LANGUAGES = new Set(['ar', 'he', 'fa', 'ur', 'ps', 'sd', 'ug', 'yi', 'dv', 'ckb']);

export function isLocale(value: unknown): value is Locale {
  return (SUPPORTED_LOCALES as readonly unknown[]).includes(value);
}

/** 'rtl' for scripts written right to left (Arabic, Hebrew, Persian …), else 'ltr'. */
export function textDirection(locale: string): 'ltr' | 'rtl' {
  const language = locale.split(/[-_]/)[0]?.toLowerCase() ?? '';
  return RTL_LANGUAGES.has(language) ? 'rtl' : 'ltr';
}

/** A supported locale for one BCP 47 tag, or undefined: 'pt' → 'pt-BR', 'zh-TW' → 'zh-Hant', 'zh' → 'zh-Hans'. */
function matchTag(tag: string): Locale | undefined {
  let parsed: Intl.Locale;
  try {
    parsed = new Intl.Locale(tag.trim().replace(/_/g, '-'));
  } catch {
    return undefined;
  }
  const exact = SUPPORTED_LOCALES.find((l) => l.toLowerCase() === parsed.baseName.toLowerCase());
  if (exact) return exact;
  if (parsed.language === 'zh') {
    // The script decides, and maximize() knows it: zh-TW and zh-HK are Hant, zh-CN, zh-SG and bare zh are Hans.
    const script = parsed.script ?? parsed.maximize().script;
    return script === 'Hant' ? 'zh-Hant' : 'zh-Hans';
  }
  return SUPPORTED_LOCALES.find((l) => l === parsed.language || l.startsWith(`${parsed.language}-`));
}

/**
 * The locale to answer in. An explicit choice (`requested`, e.g. the `?lang=` of the language
 * switcher or a saved preference) wins when it names something we have; otherwise the
 * Accept-Language header, highest q first; otherwise English.
 */
export function negotiateLocale(acceptLanguage: string | undefined, requested?: string): Locale {
  if (requested) {
    const chosen = matchTag(requested);
    if (chosen) return chosen;
  }
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranges = acceptLanguage
    .slice(0, 1024)
    .split(',')
    .slice(0, 32)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
      const weight = q === undefined ? 1 : Number(q);
      return { tag: tag.trim(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((r) => r.tag && r.tag !== '*' && r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const range of ranges) {
    const match = matchTag(range.tag);
    if (match) return match;
  }
  return DEFAULT_LOCALE;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary shown to people
// ---------------------------------------------------------------------------------------------

/** The request types the portal offers (portability rides on access; objection on opt-out or restriction). */
export const REQUEST_TYPES = ['access', 'deletion', 'correction', 'optOut', 'restriction'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

/** Where a privacy request stands, as the person sees it. */
export const REQUEST_STATUSES = [
  'awaiting-verification',
  'verified',
  'suppressed',
  'cooling-off',
  'in-progress',
  'waiting-on-vendor',
  'completed',
  'cancelled',
  'rejected',
  'duplicate',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Where the work stands in one connected system (a request's erase/export, or a consent change's push). */
export const SYSTEM_STATUSES = [
  'pending',
  'in-progress',
  'retrying',
  'waiting-on-vendor',
  'done',
  'nothing-held',
  'failed',
  'waiting-on-operator',
] as const;
export type SystemStatus = (typeof SYSTEM_STATUSES)[number];

// ---------------------------------------------------------------------------------------------
// Catalogues
// ---------------------------------------------------------------------------------------------

const en = {
  'portal.name': 'Privacy centre',
  'portal.language': 'Language',
  'portal.startOver': 'Make a new request',

  'form.title': 'Make a privacy request',
  'form.intro':
    'You can ask us to show you, delete or correct the personal data we hold about you, or to limit how we use it. Before we do anything, we will email you a code to confirm that it is really you.',
  'form.typeLegend': 'What would you like us to do?',
  'request.type.access': 'Get a copy of my data',
  'request.type.access.help': 'We send you a copy of the personal data we hold about you.',
  'request.type.deletion': 'Delete my data',
  'request.type.deletion.help': 'We delete your personal data from all our systems, except what the law requires us to keep.',
  'request.type.correction': 'Correct my data',
  'request.type.correction.help': 'We fix personal data about you that is wrong or incomplete.',
  'request.type.optOut': 'Do not sell or share my data',
  'request.type.optOut.help': 'We stop selling or sharing your data and stop using it for targeted advertising.',
  'request.type.restriction': 'Limit the use of my data',
  'request.type.restriction.help': 'We keep your data, but use it only where the law still allows us to.',
  'form.email': 'Email address',
  'form.email.help': 'We will send a confirmation code to this address.',
  'form.country': 'Country or region where you live',
  'form.country.choose': 'Choose a country or region',
  'form.usState': 'State (only in the United States)',
  'form.usState.none': 'Not in the United States',
  'form.details': 'What should we correct?',
  'form.details.help': 'Only for a correction: tell us which information is wrong and what it should say.',
  'form.submit': 'Send request',
  'form.error.title': 'Please check the form',
  'form.error.type': 'Choose what you would like us to do.',
  'form.error.email': 'Enter an email address in the format name@example.com.',
  'form.error.country': 'Choose the country or region where you live.',
  'form.error.usState': 'Choose your state from the list.',
  'form.error.details': 'Tell us what we should correct.',
  'form.error.session': 'This page was open for too long. Please send the form again.',

  'checkEmail.title': 'Check your email',
  'checkEmail.body':
    'We have sent a message to the email address you gave us. It contains a 6-digit code and a link. Enter the code below, or open the link, to confirm your request.',
  'checkEmail.code': 'Confirmation code',
  'checkEmail.code.help': 'The 6 digits from the email',
  'checkEmail.submit': 'Confirm',
  'checkEmail.notReceived':
    'Nothing arrived? It can take a few minutes. Check your spam folder, or make a new request with the right address.',
  'request.reference': 'Request reference: {requestId}',

  'verify.expired.title': 'This link has expired',
  'verify.expired.body':
    'For your security, confirmation codes and links work only for a short time. Please make your request again and we will send you a new code.',
  'verify.invalid.title': 'This link does not work',
  'verify.invalid.body':
    'The link may be incomplete or may already have been used. Copy the whole link from the email, or make your request again.',
  'verify.codeWrong.title': 'That code is not correct',
  'verify.codeWrong.body':
    'Check the 6-digit code in the email and try again. {attemptsLeft, plural, one {You have # attempt left.} other {You have # attempts left.}}',
  'verify.tooManyAttempts.title': 'Too many attempts',
  'verify.tooManyAttempts.body': 'To protect your data, this request no longer accepts codes. Please make a new request.',

  'error.notFound.title': 'We could not find this page',
  'error.notFound.body': 'The address may be mistyped, or the request may no longer be available.',
  'error.generic.title': 'Something went wrong',
  'error.generic.body': 'Something went wrong on our side. Please try again in a few minutes.',

  'status.title': 'Your privacy request',
  'status.type': 'Request',
  'status.receivedOn': 'Received on {date}',
  'status.deadline': 'We will answer by {date}.',
  'status.current': 'Status',
  'status.state.awaiting-verification': 'Waiting for you to confirm your email address',
  'status.state.verified': 'Confirmed — we will start work shortly',
  'status.state.suppressed': 'We have stopped all marketing to you while we work on your request',
  'status.state.cooling-off': 'Waiting period — you can still change your mind',
  'status.state.in-progress': 'In progress',
  'status.state.waiting-on-vendor': 'Waiting for one of our service providers to finish',
  'status.state.completed': 'Completed',
  'status.state.cancelled': 'Cancelled',
  'status.state.rejected': 'We could not carry out this request',
  'status.state.duplicate': 'Already covered by another request you made',
  'status.coolingOff.cancelUntil': 'You can cancel this request until {date}.',
  'status.cancel': 'Cancel this request',
  'status.systems.title': 'Progress in our systems',
  'status.systems.system': 'System',
  'status.systems.status': 'Status',
  'status.systems.none': 'Work in our systems has not started yet.',
  'system.status.pending': 'Pending',
  'system.status.in-progress': 'In progress',
  'system.status.retrying': 'Retrying',
  'system.status.waiting-on-vendor': 'Waiting on provider',
  'system.status.done': 'Done',
  'system.status.nothing-held': 'Nothing held',
  'system.status.failed': 'Failed',
  'system.status.waiting-on-operator': 'Waiting on our team',
  'status.certificate.title': 'Certificate of completion',
  'status.certificate.summary':
    'We checked {total, plural, one {# system} other {# systems}} for your data: {done, number} completed your request and {nothingHeld, number} held no data about you.',
  'status.certificate.link': 'Download the certificate',
  'status.export.link': 'Download your data',
  'status.export.expires': 'This download link works until {date}.',

  'prefs.title': 'Your privacy choices',
  'prefs.intro':
    'Choose how we may use your data. Your choices apply to all our systems; it can take a few minutes for a change to reach each of them.',
  'prefs.purpose.emailMarketing': 'Marketing emails',
  'prefs.purpose.emailMarketing.help': 'News, offers and recommendations by email.',
  'prefs.purpose.smsMarketing': 'Marketing text messages',
  'prefs.purpose.smsMarketing.help': 'Offers and reminders by SMS.',
  'prefs.purpose.push': 'Push notifications',
  'prefs.purpose.push.help': 'Notifications from our app on your phone or in your browser.',
  'prefs.purpose.personalisedAds': 'Personalised advertising',
  'prefs.purpose.personalisedAds.help': 'Ads on other websites and apps, based on what you do with us.',
  'prefs.purpose.analytics': 'Analytics',
  'prefs.purpose.analytics.help': 'Measuring how our website and apps are used, so that we can improve them.',
  'prefs.purpose.saleSharing': 'Selling or sharing data',
  'prefs.purpose.saleSharing.help': 'Sharing your data with partners for their own purposes, including targeted advertising.',
  'prefs.purpose.crossBorderTransfer': 'Transfers abroad',
  'prefs.purpose.crossBorderTransfer.help': 'Processing your data in another country, for example by our service providers.',
  'prefs.granted': 'Allowed',
  'prefs.denied': 'Not allowed',
  'prefs.basis.explicit': 'Your choice',
  'prefs.basis.default': 'Standard setting where you live',
  'prefs.submit': 'Save my choices',
  'prefs.propagation.title': 'Applying your latest change',
  'prefs.propagation.intro': 'Where your latest change has arrived so far:',

  'email.greeting': 'Hello,',
  'email.footer':
    'Request reference: {requestId}. This is an automatic message about your privacy request; replies to it are not read.',
  'email.statusLink': 'You can follow its progress here:',
  'email.requestType': 'Request: {typeName}',
  'email.verification.subject': 'Confirm your privacy request',
  'email.verification.intro': 'We received a privacy request for this email address. To confirm that it was you, enter this code on the page where you made the request:',
  'email.verification.link': 'Or confirm by opening this link:',
  'email.verification.expiry': 'The code and the link expire in {minutes, plural, one {# minute} other {# minutes}}.',
  'email.verification.ignore': 'If you did not make this request, you can ignore this email. Nothing will change.',
  'email.received.subject': 'We are working on your privacy request',
  'email.received.body': 'Thank you for confirming your privacy request. We have started work on it.',
  'email.completed.subject': 'Your privacy request is complete',
  'email.completed.intro':
    '{type, select, access {Your copy of your data is ready.} deletion {We have deleted your personal data from our systems, except what the law requires us to keep.} correction {We have corrected your data.} optOut {We no longer sell or share your data, or use it for targeted advertising.} restriction {We have limited the use of your data.} other {We have completed your request.}}',
  'email.completed.certificate': 'Your certificate of completion lists what we did in each system:',
  'email.completed.export': 'Download your data here:',
  'email.completed.exportExpiry': 'This link works until {date}. After that, you can ask for a new copy.',
  'email.cancelled.subject': 'Your privacy request has been cancelled',
  'email.cancelled.body': 'Your privacy request has been cancelled, and we have made no changes to your data. You can make a new request at any time.',
} as const;

export type MessageKey = keyof typeof en;
type Catalogue = Record<MessageKey, string>;

const de: Catalogue = {
  'portal.name': 'Datenschutzcenter',
  'portal.language': 'Sprache',
  'portal.startOver': 'Neue Anfrage stellen',

  'form.title': 'Datenschutzanfrage stellen',
  'form.intro':
    'Sie können uns bitten, Ihnen die über Sie gespeicherten personenbezogenen Daten zu zeigen, sie zu löschen oder zu berichtigen oder ihre Nutzung einzuschränken. Bevor wir etwas unternehmen, senden wir Ihnen einen Code per E-Mail, um zu bestätigen, dass Sie es wirklich sind.',
  'form.typeLegend': 'Was sollen wir für Sie tun?',
  'request.type.access': 'Kopie meiner Daten erhalten',
  'request.type.access.help': 'Wir senden Ihnen eine Kopie der personenbezogenen Daten, die wir über Sie gespeichert haben.',
  'request.type.deletion': 'Meine Daten löschen',
  'request.type.deletion.help':
    'Wir löschen Ihre personenbezogenen Daten aus allen unseren Systemen – außer dem, was wir gesetzlich aufbewahren müssen.',
  'request.type.correction': 'Meine Daten berichtigen',
  'request.type.correction.help': 'Wir korrigieren falsche oder unvollständige Daten über Sie.',
  'request.type.optOut': 'Meine Daten nicht verkaufen oder weitergeben',
  'request.type.optOut.help':
    'Wir verkaufen Ihre Daten nicht mehr, geben sie nicht mehr weiter und nutzen sie nicht mehr für gezielte Werbung.',
  'request.type.restriction': 'Nutzung meiner Daten einschränken',
  'request.type.restriction.help': 'Wir bewahren Ihre Daten auf, nutzen sie aber nur noch, soweit das Gesetz es erlaubt.',
  'form.email': 'E-Mail-Adresse',
  'form.email.help': 'An diese Adresse senden wir einen Bestätigungscode.',
  'form.country': 'Land oder Region Ihres Wohnsitzes',
  'form.country.choose': 'Land oder Region auswählen',
  'form.usState': 'Bundesstaat (nur in den USA)',
  'form.usState.none': 'Außerhalb der USA',
  'form.details': 'Was sollen wir berichtigen?',
  'form.details.help': 'Nur bei einer Berichtigung: Teilen Sie uns mit, welche Angaben falsch sind und wie sie richtig lauten.',
  'form.submit': 'Anfrage senden',
  'form.error.title': 'Bitte prüfen Sie das Formular',
  'form.error.type': 'Wählen Sie aus, was wir für Sie tun sollen.',
  'form.error.email': 'Geben Sie eine E-Mail-Adresse im Format name@example.com ein.',
  'form.error.country': 'Wählen Sie das Land oder die Region Ihres Wohnsitzes aus.',
  'form.error.usState': 'Wählen Sie Ihren Bundesstaat aus der Liste aus.',
  'form.error.details': 'Teilen Sie uns mit, was wir berichtigen sollen.',
  'form.error.session': 'Diese Seite war zu lange geöffnet. Bitte senden Sie das Formular erneut.',

  'checkEmail.title': 'Bitte prüfen Sie Ihr Postfach',
  'checkEmail.body':
    'Wir haben eine Nachricht an die angegebene E-Mail-Adresse gesendet. Sie enthält einen 6-stelligen Code und einen Link. Geben Sie den Code unten ein oder öffnen Sie den Link, um Ihre Anfrage zu bestätigen.',
  'checkEmail.code': 'Bestätigungscode',
  'checkEmail.code.help': 'Die 6 Ziffern aus der E-Mail',
  'checkEmail.submit': 'Bestätigen',
  'checkEmail.notReceived':
    'Nichts angekommen? Das kann einige Minuten dauern. Sehen Sie in Ihrem Spam-Ordner nach oder stellen Sie eine neue Anfrage mit der richtigen Adresse.',
  'request.reference': 'Vorgangsnummer: {requestId}',

  'verify.expired.title': 'Dieser Link ist abgelaufen',
  'verify.expired.body':
    'Zu Ihrer Sicherheit sind Bestätigungscodes und -links nur kurze Zeit gültig. Bitte stellen Sie Ihre Anfrage erneut, dann senden wir Ihnen einen neuen Code.',
  'verify.invalid.title': 'Dieser Link funktioniert nicht',
  'verify.invalid.body':
    'Der Link ist möglicherweise unvollständig oder wurde bereits verwendet. Kopieren Sie den vollständigen Link aus der E-Mail oder stellen Sie Ihre Anfrage erneut.',
  'verify.codeWrong.title': 'Dieser Code ist nicht richtig',
  'verify.codeWrong.body':
    'Prüfen Sie den 6-stelligen Code in der E-Mail und versuchen Sie es erneut. {attemptsLeft, plural, one {Sie haben noch # Versuch.} other {Sie haben noch # Versuche.}}',
  'verify.tooManyAttempts.title': 'Zu viele Versuche',
  'verify.tooManyAttempts.body':
    'Zum Schutz Ihrer Daten nimmt diese Anfrage keine Codes mehr an. Bitte stellen Sie eine neue Anfrage.',

  'error.notFound.title': 'Diese Seite wurde nicht gefunden',
  'error.notFound.body': 'Die Adresse ist möglicherweise falsch geschrieben, oder die Anfrage ist nicht mehr verfügbar.',
  'error.generic.title': 'Etwas ist schiefgelaufen',
  'error.generic.body': 'Bei uns ist ein Fehler aufgetreten. Bitte versuchen Sie es in einigen Minuten erneut.',

  'status.title': 'Ihre Datenschutzanfrage',
  'status.type': 'Anfrage',
  'status.receivedOn': 'Eingegangen am {date}',
  'status.deadline': 'Wir antworten Ihnen bis zum {date}.',
  'status.current': 'Status',
  'status.state.awaiting-verification': 'Wir warten auf die Bestätigung Ihrer E-Mail-Adresse',
  'status.state.verified': 'Bestätigt – wir beginnen in Kürze mit der Bearbeitung',
  'status.state.suppressed': 'Während wir Ihre Anfrage bearbeiten, senden wir Ihnen keine Werbung',
  'status.state.cooling-off': 'Wartezeit – Sie können es sich noch anders überlegen',
  'status.state.in-progress': 'In Bearbeitung',
  'status.state.waiting-on-vendor': 'Wir warten auf einen unserer Dienstleister',
  'status.state.completed': 'Abgeschlossen',
  'status.state.cancelled': 'Storniert',
  'status.state.rejected': 'Wir konnten diese Anfrage nicht ausführen',
  'status.state.duplicate': 'Bereits durch eine andere Anfrage von Ihnen abgedeckt',
  'status.coolingOff.cancelUntil': 'Sie können diese Anfrage bis zum {date} stornieren.',
  'status.cancel': 'Anfrage stornieren',
  'status.systems.title': 'Fortschritt in unseren Systemen',
  'status.systems.system': 'System',
  'status.systems.status': 'Status',
  'status.systems.none': 'Die Bearbeitung in unseren Systemen hat noch nicht begonnen.',
  'system.status.pending': 'Ausstehend',
  'system.status.in-progress': 'In Bearbeitung',
  'system.status.retrying': 'Neuer Versuch läuft',
  'system.status.waiting-on-vendor': 'Wartet auf Dienstleister',
  'system.status.done': 'Erledigt',
  'system.status.nothing-held': 'Keine Daten gespeichert',
  'system.status.failed': 'Fehlgeschlagen',
  'system.status.waiting-on-operator': 'Wartet auf unser Team',
  'status.certificate.title': 'Abschlussbestätigung',
  'status.certificate.summary':
    'Wir haben {total, plural, one {# System} other {# Systeme}} nach Ihren Daten durchsucht: In {done, number} wurde Ihre Anfrage ausgeführt, {nothingHeld, plural, one {# enthielt} other {# enthielten}} keine Daten über Sie.',
  'status.certificate.link': 'Bestätigung herunterladen',
  'status.export.link': 'Ihre Daten herunterladen',
  'status.export.expires': 'Dieser Download-Link ist bis zum {date} gültig.',

  'prefs.title': 'Ihre Datenschutzeinstellungen',
  'prefs.intro':
    'Legen Sie fest, wie wir Ihre Daten nutzen dürfen. Ihre Auswahl gilt für alle unsere Systeme; bis eine Änderung überall angekommen ist, kann es einige Minuten dauern.',
  'prefs.purpose.emailMarketing': 'Werbe-E-Mails',
  'prefs.purpose.emailMarketing.help': 'Neuigkeiten, Angebote und Empfehlungen per E-Mail.',
  'prefs.purpose.smsMarketing': 'Werbe-SMS',
  'prefs.purpose.smsMarketing.help': 'Angebote und Erinnerungen per SMS.',
  'prefs.purpose.push': 'Push-Benachrichtigungen',
  'prefs.purpose.push.help': 'Mitteilungen unserer App auf Ihrem Smartphone oder im Browser.',
  'prefs.purpose.personalisedAds': 'Personalisierte Werbung',
  'prefs.purpose.personalisedAds.help': 'Werbung auf anderen Websites und in anderen Apps, abgestimmt auf Ihre Nutzung unserer Angebote.',
  'prefs.purpose.analytics': 'Analyse',
  'prefs.purpose.analytics.help': 'Wir messen, wie unsere Website und Apps genutzt werden, um sie zu verbessern.',
  'prefs.purpose.saleSharing': 'Verkauf oder Weitergabe von Daten',
  'prefs.purpose.saleSharing.help': 'Weitergabe Ihrer Daten an Partner für deren eigene Zwecke, auch für gezielte Werbung.',
  'prefs.purpose.crossBorderTransfer': 'Übermittlung ins Ausland',
  'prefs.purpose.crossBorderTransfer.help': 'Verarbeitung Ihrer Daten in einem anderen Land, zum Beispiel durch unsere Dienstleister.',
  'prefs.granted': 'Erlaubt',
  'prefs.denied': 'Nicht erlaubt',
  'prefs.basis.explicit': 'Ihre Auswahl',
  'prefs.basis.default': 'Standardeinstellung für Ihren Wohnort',
  'prefs.submit': 'Auswahl speichern',
  'prefs.propagation.title': 'Ihre letzte Änderung wird übernommen',
  'prefs.propagation.intro': 'So weit ist Ihre letzte Änderung bereits angekommen:',

  'email.greeting': 'Guten Tag,',
  'email.footer':
    'Vorgangsnummer: {requestId}. Dies ist eine automatische Nachricht zu Ihrer Datenschutzanfrage; Antworten darauf werden nicht gelesen.',
  'email.statusLink': 'Hier können Sie den Fortschritt verfolgen:',
  'email.requestType': 'Anfrage: {typeName}',
  'email.verification.subject': 'Bitte bestätigen Sie Ihre Datenschutzanfrage',
  'email.verification.intro': 'Für diese E-Mail-Adresse ist eine Datenschutzanfrage eingegangen. Um zu bestätigen, dass sie von Ihnen stammt, geben Sie diesen Code auf der Seite ein, auf der Sie die Anfrage gestellt haben:',
  'email.verification.link': 'Oder bestätigen Sie über diesen Link:',
  'email.verification.expiry': 'Code und Link sind {minutes, plural, one {# Minute} other {# Minuten}} lang gültig.',
  'email.verification.ignore': 'Wenn Sie diese Anfrage nicht gestellt haben, können Sie diese E-Mail ignorieren. Es ändert sich nichts.',
  'email.received.subject': 'Wir bearbeiten Ihre Datenschutzanfrage',
  'email.received.body': 'Vielen Dank, dass Sie Ihre Datenschutzanfrage bestätigt haben. Wir haben mit der Bearbeitung begonnen.',
  'email.completed.subject': 'Ihre Datenschutzanfrage ist abgeschlossen',
  'email.completed.intro':
    '{type, select, access {Die Kopie Ihrer Daten steht bereit.} deletion {Wir haben Ihre personenbezogenen Daten aus unseren Systemen gelöscht – außer dem, was wir gesetzlich aufbewahren müssen.} correction {Wir haben Ihre Daten berichtigt.} optOut {Wir verkaufen Ihre Daten nicht mehr, geben sie nicht mehr weiter und nutzen sie nicht mehr für gezielte Werbung.} restriction {Wir haben die Nutzung Ihrer Daten eingeschränkt.} other {Wir haben Ihre Anfrage abgeschlossen.}}',
  'email.completed.certificate': 'Ihre Abschlussbestätigung zeigt, was wir in jedem System getan haben:',
  'email.completed.export': 'Hier können Sie Ihre Daten herunterladen:',
  'email.completed.exportExpiry': 'Dieser Link ist bis zum {date} gültig. Danach können Sie eine neue Kopie anfordern.',
  'email.cancelled.subject': 'Ihre Datenschutzanfrage wurde storniert',
  'email.cancelled.body': 'Ihre Datenschutzanfrage wurde storniert; an Ihren Daten haben wir nichts geändert. Sie können jederzeit eine neue Anfrage stellen.',
};

const fr: Catalogue = {
  'portal.name': 'Espace confidentialité',
  'portal.language': 'Langue',
  'portal.startOver': 'Faire une nouvelle demande',

  'form.title': 'Faire une demande concernant vos données',
  'form.intro':
    'Vous pouvez nous demander d’accéder aux données personnelles que nous détenons sur vous, de les supprimer, de les rectifier ou d’en limiter l’utilisation. Avant toute action, nous vous enverrons un code par e-mail pour vérifier qu’il s’agit bien de vous.',
  'form.typeLegend': 'Que souhaitez-vous que nous fassions\u00a0?',
  'request.type.access': 'Obtenir une copie de mes données',
  'request.type.access.help': 'Nous vous envoyons une copie des données personnelles que nous détenons sur vous.',
  'request.type.deletion': 'Supprimer mes données',
  'request.type.deletion.help':
    'Nous supprimons vos données personnelles de tous nos systèmes, sauf celles que la loi nous oblige à conserver.',
  'request.type.correction': 'Rectifier mes données',
  'request.type.correction.help': 'Nous corrigeons les données vous concernant qui sont inexactes ou incomplètes.',
  'request.type.optOut': 'Ne pas vendre ni partager mes données',
  'request.type.optOut.help': 'Nous cessons de vendre ou de partager vos données et de les utiliser pour de la publicité ciblée.',
  'request.type.restriction': 'Limiter l’utilisation de mes données',
  'request.type.restriction.help': 'Nous conservons vos données, mais ne les utilisons plus que dans la mesure où la loi le permet.',
  'form.email': 'Adresse e-mail',
  'form.email.help': 'Nous enverrons un code de confirmation à cette adresse.',
  'form.country': 'Pays ou région de résidence',
  'form.country.choose': 'Choisissez un pays ou une région',
  'form.usState': 'État (uniquement aux États-Unis)',
  'form.usState.none': 'Hors des États-Unis',
  'form.details': 'Que devons-nous rectifier\u00a0?',
  'form.details.help':
    'Uniquement pour une rectification\u00a0: indiquez-nous quelles informations sont inexactes et ce qu’elles devraient indiquer.',
  'form.submit': 'Envoyer la demande',
  'form.error.title': 'Veuillez vérifier le formulaire',
  'form.error.type': 'Choisissez ce que vous souhaitez que nous fassions.',
  'form.error.email': 'Saisissez une adresse e-mail au format nom@exemple.com.',
  'form.error.country': 'Choisissez votre pays ou région de résidence.',
  'form.error.usState': 'Choisissez votre État dans la liste.',
  'form.error.details': 'Indiquez-nous ce que nous devons rectifier.',
  'form.error.session': 'Cette page est restée ouverte trop longtemps. Veuillez renvoyer le formulaire.',

  'checkEmail.title': 'Consultez vos e-mails',
  'checkEmail.body':
    'Nous avons envoyé un message à l’adresse e-mail indiquée. Il contient un code à 6\u00a0chiffres et un lien. Saisissez le code ci-dessous ou ouvrez le lien pour confirmer votre demande.',
  'checkEmail.code': 'Code de confirmation',
  'checkEmail.code.help': 'Les 6\u00a0chiffres indiqués dans l’e-mail',
  'checkEmail.submit': 'Confirmer',
  'checkEmail.notReceived':
    'Vous n’avez rien reçu\u00a0? Cela peut prendre quelques minutes. Vérifiez vos courriers indésirables, ou faites une nouvelle demande avec la bonne adresse.',
  'request.reference': 'Référence de la demande\u00a0: {requestId}',

  'verify.expired.title': 'Ce lien a expiré',
  'verify.expired.body':
    'Pour votre sécurité, les codes et liens de confirmation ne sont valables que peu de temps. Veuillez refaire votre demande\u00a0; nous vous enverrons un nouveau code.',
  'verify.invalid.title': 'Ce lien ne fonctionne pas',
  'verify.invalid.body':
    'Le lien est peut-être incomplet ou a déjà été utilisé. Copiez le lien complet depuis l’e-mail, ou refaites votre demande.',
  'verify.codeWrong.title': 'Ce code est incorrect',
  'verify.codeWrong.body':
    'Vérifiez le code à 6\u00a0chiffres dans l’e-mail et réessayez. {attemptsLeft, plural, one {Il vous reste # essai.} other {Il vous reste # essais.}}',
  'verify.tooManyAttempts.title': 'Trop de tentatives',
  'verify.tooManyAttempts.body':
    'Pour protéger vos données, cette demande n’accepte plus de code. Veuillez faire une nouvelle demande.',

  'error.notFound.title': 'Page introuvable',
  'error.notFound.body': 'L’adresse est peut-être mal saisie, ou la demande n’est plus disponible.',
  'error.generic.title': 'Un problème est survenu',
  'error.generic.body': 'Une erreur s’est produite de notre côté. Veuillez réessayer dans quelques minutes.',

  'status.title': 'Suivi de votre demande',
  'status.type': 'Demande',
  'status.receivedOn': 'Reçue le {date}',
  'status.deadline': 'Nous vous répondrons au plus tard le {date}.',
  'status.current': 'État',
  'status.state.awaiting-verification': 'En attente de la confirmation de votre adresse e-mail',
  'status.state.verified': 'Confirmée — nous allons bientôt commencer',
  'status.state.suppressed': 'Nous avons cessé tout envoi marketing pendant le traitement de votre demande',
  'status.state.cooling-off': 'Délai de réflexion — vous pouvez encore changer d’avis',
  'status.state.in-progress': 'En cours de traitement',
  'status.state.waiting-on-vendor': 'En attente de l’un de nos prestataires',
  'status.state.completed': 'Terminée',
  'status.state.cancelled': 'Annulée',
  'status.state.rejected': 'Nous n’avons pas pu donner suite à cette demande',
  'status.state.duplicate': 'Déjà couverte par une autre de vos demandes',
  'status.coolingOff.cancelUntil': 'Vous pouvez annuler cette demande jusqu’au {date}.',
  'status.cancel': 'Annuler cette demande',
  'status.systems.title': 'Avancement dans nos systèmes',
  'status.systems.system': 'Système',
  'status.systems.status': 'État',
  'status.systems.none': 'Le traitement dans nos systèmes n’a pas encore commencé.',
  'system.status.pending': 'En attente',
  'system.status.in-progress': 'En cours',
  'system.status.retrying': 'Nouvelle tentative',
  'system.status.waiting-on-vendor': 'En attente du prestataire',
  'system.status.done': 'Terminé',
  'system.status.nothing-held': 'Aucune donnée détenue',
  'system.status.failed': 'Échec',
  'system.status.waiting-on-operator': 'En attente de notre équipe',
  'status.certificate.title': 'Attestation de traitement',
  'status.certificate.summary':
    'Nous avons recherché vos données dans {total, plural, one {# système} other {# systèmes}}\u00a0: {done, plural, one {# a traité votre demande} other {# ont traité votre demande}} et {nothingHeld, plural, one {# ne détenait aucune donnée vous concernant} other {# ne détenaient aucune donnée vous concernant}}.',
  'status.certificate.link': 'Télécharger l’attestation',
  'status.export.link': 'Télécharger vos données',
  'status.export.expires': 'Ce lien de téléchargement est valable jusqu’au {date}.',

  'prefs.title': 'Vos choix en matière de confidentialité',
  'prefs.intro':
    'Choisissez comment nous pouvons utiliser vos données. Vos choix s’appliquent à tous nos systèmes\u00a0; une modification peut mettre quelques minutes à les atteindre tous.',
  'prefs.purpose.emailMarketing': 'E-mails marketing',
  'prefs.purpose.emailMarketing.help': 'Actualités, offres et recommandations par e-mail.',
  'prefs.purpose.smsMarketing': 'SMS marketing',
  'prefs.purpose.smsMarketing.help': 'Offres et rappels par SMS.',
  'prefs.purpose.push': 'Notifications push',
  'prefs.purpose.push.help': 'Notifications de notre application sur votre téléphone ou dans votre navigateur.',
  'prefs.purpose.personalisedAds': 'Publicité personnalisée',
  'prefs.purpose.personalisedAds.help': 'Publicités sur d’autres sites et applications, selon votre utilisation de nos services.',
  'prefs.purpose.analytics': 'Mesure d’audience',
  'prefs.purpose.analytics.help': 'Mesurer l’utilisation de notre site et de nos applications pour les améliorer.',
  'prefs.purpose.saleSharing': 'Vente ou partage de données',
  'prefs.purpose.saleSharing.help':
    'Partage de vos données avec des partenaires pour leurs propres finalités, y compris la publicité ciblée.',
  'prefs.purpose.crossBorderTransfer': 'Transferts à l’étranger',
  'prefs.purpose.crossBorderTransfer.help': 'Traitement de vos données dans un autre pays, par exemple par nos prestataires.',
  'prefs.granted': 'Autorisé',
  'prefs.denied': 'Non autorisé',
  'prefs.basis.explicit': 'Votre choix',
  'prefs.basis.default': 'Réglage par défaut là où vous vivez',
  'prefs.submit': 'Enregistrer mes choix',
  'prefs.propagation.title': 'Application de votre dernière modification',
  'prefs.propagation.intro': 'Là où votre dernière modification est déjà prise en compte\u00a0:',

  'email.greeting': 'Bonjour,',
  'email.footer':
    'Référence de la demande\u00a0: {requestId}. Ce message automatique concerne votre demande relative à vos données\u00a0; les réponses ne sont pas lues.',
  'email.statusLink': 'Vous pouvez suivre son avancement ici\u00a0:',
  'email.requestType': 'Demande\u00a0: {typeName}',
  'email.verification.subject': 'Confirmez votre demande concernant vos données',
  'email.verification.intro': 'Nous avons reçu une demande concernant les données personnelles liées à cette adresse e-mail. Pour confirmer qu’elle vient bien de vous, saisissez ce code sur la page où vous avez fait la demande\u00a0:',
  'email.verification.link': 'Vous pouvez aussi confirmer en ouvrant ce lien\u00a0:',
  'email.verification.expiry': 'Le code et le lien expirent dans {minutes, plural, one {# minute} other {# minutes}}.',
  'email.verification.ignore': 'Si vous n’avez pas fait cette demande, ignorez cet e-mail. Rien ne changera.',
  'email.received.subject': 'Nous traitons votre demande',
  'email.received.body': 'Merci d’avoir confirmé votre demande. Nous avons commencé à la traiter.',
  'email.completed.subject': 'Votre demande a été traitée',
  'email.completed.intro':
    '{type, select, access {La copie de vos données est prête.} deletion {Nous avons supprimé vos données personnelles de nos systèmes, sauf celles que la loi nous oblige à conserver.} correction {Nous avons rectifié vos données.} optOut {Nous ne vendons et ne partageons plus vos données, et ne les utilisons plus pour de la publicité ciblée.} restriction {Nous avons limité l’utilisation de vos données.} other {Nous avons traité votre demande.}}',
  'email.completed.certificate': 'Votre attestation indique ce que nous avons fait dans chaque système\u00a0:',
  'email.completed.export': 'Téléchargez vos données ici\u00a0:',
  'email.completed.exportExpiry': 'Ce lien est valable jusqu’au {date}. Ensuite, vous pourrez demander une nouvelle copie.',
  'email.cancelled.subject': 'Votre demande a été annulée',
  'email.cancelled.body': 'Votre demande a été annulée et nous n’avons modifié aucune de vos données. Vous pouvez faire une nouvelle demande à tout moment.',
};

const es: Catalogue = {
  'portal.name': 'Centro de privacidad',
  'portal.language': 'Idioma',
  'portal.startOver': 'Hacer una nueva solicitud',

  'form.title': 'Hacer una solicitud de privacidad',
  'form.intro':
    'Puede pedirnos que le mostremos, eliminemos o corrijamos los datos personales que tenemos sobre usted, o que limitemos su uso. Antes de hacer nada, le enviaremos un código por correo electrónico para confirmar que es usted.',
  'form.typeLegend': '¿Qué desea que hagamos?',
  'request.type.access': 'Obtener una copia de mis datos',
  'request.type.access.help': 'Le enviamos una copia de los datos personales que tenemos sobre usted.',
  'request.type.deletion': 'Eliminar mis datos',
  'request.type.deletion.help':
    'Eliminamos sus datos personales de todos nuestros sistemas, salvo los que la ley nos obliga a conservar.',
  'request.type.correction': 'Corregir mis datos',
  'request.type.correction.help': 'Corregimos los datos sobre usted que sean incorrectos o estén incompletos.',
  'request.type.optOut': 'No vender ni compartir mis datos',
  'request.type.optOut.help': 'Dejamos de vender o compartir sus datos y de usarlos para publicidad dirigida.',
  'request.type.restriction': 'Limitar el uso de mis datos',
  'request.type.restriction.help': 'Conservamos sus datos, pero solo los usamos en la medida en que la ley lo permita.',
  'form.email': 'Correo electrónico',
  'form.email.help': 'Enviaremos un código de confirmación a esta dirección.',
  'form.country': 'País o región de residencia',
  'form.country.choose': 'Elija un país o región',
  'form.usState': 'Estado (solo en Estados Unidos)',
  'form.usState.none': 'Fuera de Estados Unidos',
  'form.details': '¿Qué debemos corregir?',
  'form.details.help': 'Solo para una corrección: indíquenos qué información es incorrecta y cuál es la correcta.',
  'form.submit': 'Enviar solicitud',
  'form.error.title': 'Revise el formulario',
  'form.error.type': 'Elija qué desea que hagamos.',
  'form.error.email': 'Escriba un correo electrónico con el formato nombre@ejemplo.com.',
  'form.error.country': 'Elija su país o región de residencia.',
  'form.error.usState': 'Elija su estado de la lista.',
  'form.error.details': 'Indíquenos qué debemos corregir.',
  'form.error.session': 'Esta página estuvo abierta demasiado tiempo. Envíe el formulario de nuevo.',

  'checkEmail.title': 'Revise su correo',
  'checkEmail.body':
    'Hemos enviado un mensaje a la dirección de correo que nos indicó. Contiene un código de 6 dígitos y un enlace. Escriba el código a continuación o abra el enlace para confirmar su solicitud.',
  'checkEmail.code': 'Código de confirmación',
  'checkEmail.code.help': 'Los 6 dígitos del correo',
  'checkEmail.submit': 'Confirmar',
  'checkEmail.notReceived':
    '¿No le ha llegado nada? Puede tardar unos minutos. Revise la carpeta de correo no deseado o haga una nueva solicitud con la dirección correcta.',
  'request.reference': 'Referencia de la solicitud: {requestId}',

  'verify.expired.title': 'Este enlace ha caducado',
  'verify.expired.body':
    'Por su seguridad, los códigos y enlaces de confirmación solo son válidos durante poco tiempo. Haga su solicitud de nuevo y le enviaremos un código nuevo.',
  'verify.invalid.title': 'Este enlace no funciona',
  'verify.invalid.body':
    'Puede que el enlace esté incompleto o que ya se haya usado. Copie el enlace completo del correo o haga su solicitud de nuevo.',
  'verify.codeWrong.title': 'El código no es correcto',
  'verify.codeWrong.body':
    'Compruebe el código de 6 dígitos del correo e inténtelo de nuevo. {attemptsLeft, plural, one {Le queda # intento.} other {Le quedan # intentos.}}',
  'verify.tooManyAttempts.title': 'Demasiados intentos',
  'verify.tooManyAttempts.body': 'Para proteger sus datos, esta solicitud ya no acepta códigos. Haga una nueva solicitud.',

  'error.notFound.title': 'No hemos encontrado esta página',
  'error.notFound.body': 'Puede que la dirección esté mal escrita o que la solicitud ya no esté disponible.',
  'error.generic.title': 'Algo ha salido mal',
  'error.generic.body': 'Se ha producido un error por nuestra parte. Inténtelo de nuevo dentro de unos minutos.',

  'status.title': 'Su solicitud de privacidad',
  'status.type': 'Solicitud',
  'status.receivedOn': 'Recibida el {date}',
  'status.deadline': 'Le responderemos a más tardar el {date}.',
  'status.current': 'Estado',
  'status.state.awaiting-verification': 'Esperando a que confirme su dirección de correo',
  'status.state.verified': 'Confirmada: empezaremos en breve',
  'status.state.suppressed': 'Hemos dejado de enviarle comunicaciones comerciales mientras tramitamos su solicitud',
  'status.state.cooling-off': 'Periodo de espera: todavía puede cambiar de opinión',
  'status.state.in-progress': 'En curso',
  'status.state.waiting-on-vendor': 'Esperando a uno de nuestros proveedores',
  'status.state.completed': 'Completada',
  'status.state.cancelled': 'Cancelada',
  'status.state.rejected': 'No hemos podido atender esta solicitud',
  'status.state.duplicate': 'Ya incluida en otra solicitud suya',
  'status.coolingOff.cancelUntil': 'Puede cancelar esta solicitud hasta el {date}.',
  'status.cancel': 'Cancelar esta solicitud',
  'status.systems.title': 'Avance en nuestros sistemas',
  'status.systems.system': 'Sistema',
  'status.systems.status': 'Estado',
  'status.systems.none': 'Todavía no hemos empezado a trabajar en nuestros sistemas.',
  'system.status.pending': 'Pendiente',
  'system.status.in-progress': 'En curso',
  'system.status.retrying': 'Reintentando',
  'system.status.waiting-on-vendor': 'Esperando al proveedor',
  'system.status.done': 'Hecho',
  'system.status.nothing-held': 'Sin datos',
  'system.status.failed': 'Error',
  'system.status.waiting-on-operator': 'Esperando a nuestro equipo',
  'status.certificate.title': 'Certificado de finalización',
  'status.certificate.summary':
    'Hemos buscado sus datos en {total, plural, one {# sistema} other {# sistemas}}: {done, plural, one {# ha completado su solicitud} other {# han completado su solicitud}} y {nothingHeld, plural, one {# no tenía datos sobre usted} other {# no tenían datos sobre usted}}.',
  'status.certificate.link': 'Descargar el certificado',
  'status.export.link': 'Descargar sus datos',
  'status.export.expires': 'Este enlace de descarga es válido hasta el {date}.',

  'prefs.title': 'Sus opciones de privacidad',
  'prefs.intro':
    'Elija cómo podemos usar sus datos. Sus opciones se aplican a todos nuestros sistemas; un cambio puede tardar unos minutos en llegar a cada uno.',
  'prefs.purpose.emailMarketing': 'Correos comerciales',
  'prefs.purpose.emailMarketing.help': 'Novedades, ofertas y recomendaciones por correo electrónico.',
  'prefs.purpose.smsMarketing': 'SMS comerciales',
  'prefs.purpose.smsMarketing.help': 'Ofertas y recordatorios por SMS.',
  'prefs.purpose.push': 'Notificaciones push',
  'prefs.purpose.push.help': 'Avisos de nuestra aplicación en su teléfono o navegador.',
  'prefs.purpose.personalisedAds': 'Publicidad personalizada',
  'prefs.purpose.personalisedAds.help': 'Anuncios en otros sitios y aplicaciones basados en su actividad con nosotros.',
  'prefs.purpose.analytics': 'Analítica',
  'prefs.purpose.analytics.help': 'Medir cómo se usan nuestra web y nuestras aplicaciones para mejorarlas.',
  'prefs.purpose.saleSharing': 'Venta o cesión de datos',
  'prefs.purpose.saleSharing.help': 'Compartir sus datos con socios para sus propios fines, incluida la publicidad dirigida.',
  'prefs.purpose.crossBorderTransfer': 'Transferencias internacionales',
  'prefs.purpose.crossBorderTransfer.help': 'Tratamiento de sus datos en otro país, por ejemplo por nuestros proveedores.',
  'prefs.granted': 'Permitido',
  'prefs.denied': 'No permitido',
  'prefs.basis.explicit': 'Su elección',
  'prefs.basis.default': 'Opción predeterminada donde vive',
  'prefs.submit': 'Guardar mis opciones',
  'prefs.propagation.title': 'Aplicando su último cambio',
  'prefs.propagation.intro': 'Hasta dónde ha llegado su último cambio:',

  'email.greeting': 'Hola:',
  'email.footer':
    'Referencia de la solicitud: {requestId}. Este es un mensaje automático sobre su solicitud de privacidad; las respuestas no se leen.',
  'email.statusLink': 'Puede seguir su avance aquí:',
  'email.requestType': 'Solicitud: {typeName}',
  'email.verification.subject': 'Confirme su solicitud de privacidad',
  'email.verification.intro': 'Hemos recibido una solicitud de privacidad para esta dirección de correo. Para confirmar que la hizo usted, escriba este código en la página donde hizo la solicitud:',
  'email.verification.link': 'O confírmela abriendo este enlace:',
  'email.verification.expiry': 'El código y el enlace caducan dentro de {minutes, plural, one {# minuto} other {# minutos}}.',
  'email.verification.ignore': 'Si usted no hizo esta solicitud, puede ignorar este correo. No cambiará nada.',
  'email.received.subject': 'Estamos tramitando su solicitud de privacidad',
  'email.received.body': 'Gracias por confirmar su solicitud de privacidad. Ya hemos empezado a tramitarla.',
  'email.completed.subject': 'Su solicitud de privacidad se ha completado',
  'email.completed.intro':
    '{type, select, access {La copia de sus datos está lista.} deletion {Hemos eliminado sus datos personales de nuestros sistemas, salvo los que la ley nos obliga a conservar.} correction {Hemos corregido sus datos.} optOut {Ya no vendemos ni compartimos sus datos, ni los usamos para publicidad dirigida.} restriction {Hemos limitado el uso de sus datos.} other {Hemos completado su solicitud.}}',
  'email.completed.certificate': 'Su certificado de finalización detalla lo que hicimos en cada sistema:',
  'email.completed.export': 'Descargue sus datos aquí:',
  'email.completed.exportExpiry': 'Este enlace es válido hasta el {date}. Después, puede pedir una copia nueva.',
  'email.cancelled.subject': 'Su solicitud de privacidad se ha cancelado',
  'email.cancelled.body': 'Su solicitud de privacidad se ha cancelado y no hemos modificado ninguno de sus datos. Puede hacer una nueva solicitud cuando quiera.',
};

const ptBR: Catalogue = {
  'portal.name': 'Central de privacidade',
  'portal.language': 'Idioma',
  'portal.startOver': 'Fazer uma nova solicitação',

  'form.title': 'Fazer uma solicitação de privacidade',
  'form.intro':
    'Você pode nos pedir para mostrar, excluir ou corrigir os dados pessoais que temos sobre você, ou para limitar o uso deles. Antes de fazer qualquer coisa, enviaremos um código por e-mail para confirmar que é você mesmo.',
  'form.typeLegend': 'O que você gostaria que fizéssemos?',
  'request.type.access': 'Receber uma cópia dos meus dados',
  'request.type.access.help': 'Enviamos a você uma cópia dos dados pessoais que temos sobre você.',
  'request.type.deletion': 'Excluir meus dados',
  'request.type.deletion.help': 'Excluímos seus dados pessoais de todos os nossos sistemas, exceto o que a lei nos obriga a manter.',
  'request.type.correction': 'Corrigir meus dados',
  'request.type.correction.help': 'Corrigimos dados sobre você que estejam errados ou incompletos.',
  'request.type.optOut': 'Não vender nem compartilhar meus dados',
  'request.type.optOut.help': 'Deixamos de vender ou compartilhar seus dados e de usá-los para publicidade direcionada.',
  'request.type.restriction': 'Limitar o uso dos meus dados',
  'request.type.restriction.help': 'Mantemos seus dados, mas só os usamos quando a lei permitir.',
  'form.email': 'E-mail',
  'form.email.help': 'Enviaremos um código de confirmação para este endereço.',
  'form.country': 'País ou região onde você mora',
  'form.country.choose': 'Escolha um país ou região',
  'form.usState': 'Estado (somente nos Estados Unidos)',
  'form.usState.none': 'Fora dos Estados Unidos',
  'form.details': 'O que devemos corrigir?',
  'form.details.help': 'Somente para correção: diga quais informações estão erradas e como deveriam estar.',
  'form.submit': 'Enviar solicitação',
  'form.error.title': 'Verifique o formulário',
  'form.error.type': 'Escolha o que você gostaria que fizéssemos.',
  'form.error.email': 'Informe um e-mail no formato nome@exemplo.com.',
  'form.error.country': 'Escolha o país ou região onde você mora.',
  'form.error.usState': 'Escolha seu estado na lista.',
  'form.error.details': 'Diga o que devemos corrigir.',
  'form.error.session': 'Esta página ficou aberta por muito tempo. Envie o formulário novamente.',

  'checkEmail.title': 'Confira seu e-mail',
  'checkEmail.body':
    'Enviamos uma mensagem para o e-mail que você informou. Ela contém um código de 6 dígitos e um link. Digite o código abaixo ou abra o link para confirmar sua solicitação.',
  'checkEmail.code': 'Código de confirmação',
  'checkEmail.code.help': 'Os 6 dígitos do e-mail',
  'checkEmail.submit': 'Confirmar',
  'checkEmail.notReceived':
    'Não recebeu nada? Pode levar alguns minutos. Confira a pasta de spam ou faça uma nova solicitação com o endereço correto.',
  'request.reference': 'Número da solicitação: {requestId}',

  'verify.expired.title': 'Este link expirou',
  'verify.expired.body':
    'Para sua segurança, os códigos e links de confirmação valem por pouco tempo. Faça sua solicitação novamente e enviaremos um novo código.',
  'verify.invalid.title': 'Este link não funciona',
  'verify.invalid.body':
    'O link pode estar incompleto ou já ter sido usado. Copie o link inteiro do e-mail ou faça sua solicitação novamente.',
  'verify.codeWrong.title': 'Código incorreto',
  'verify.codeWrong.body':
    'Confira o código de 6 dígitos no e-mail e tente de novo. {attemptsLeft, plural, one {Você ainda tem # tentativa.} other {Você ainda tem # tentativas.}}',
  'verify.tooManyAttempts.title': 'Tentativas demais',
  'verify.tooManyAttempts.body': 'Para proteger seus dados, esta solicitação não aceita mais códigos. Faça uma nova solicitação.',

  'error.notFound.title': 'Não encontramos esta página',
  'error.notFound.body': 'O endereço pode estar digitado errado, ou a solicitação não está mais disponível.',
  'error.generic.title': 'Algo deu errado',
  'error.generic.body': 'Ocorreu um erro do nosso lado. Tente novamente em alguns minutos.',

  'status.title': 'Sua solicitação de privacidade',
  'status.type': 'Solicitação',
  'status.receivedOn': 'Recebida em {date}',
  'status.deadline': 'Responderemos até {date}.',
  'status.current': 'Situação',
  'status.state.awaiting-verification': 'Aguardando a confirmação do seu e-mail',
  'status.state.verified': 'Confirmada — começaremos em breve',
  'status.state.suppressed': 'Paramos de enviar comunicações de marketing enquanto cuidamos da sua solicitação',
  'status.state.cooling-off': 'Período de espera — você ainda pode mudar de ideia',
  'status.state.in-progress': 'Em andamento',
  'status.state.waiting-on-vendor': 'Aguardando um dos nossos fornecedores',
  'status.state.completed': 'Concluída',
  'status.state.cancelled': 'Cancelada',
  'status.state.rejected': 'Não foi possível atender a esta solicitação',
  'status.state.duplicate': 'Já coberta por outra solicitação sua',
  'status.coolingOff.cancelUntil': 'Você pode cancelar esta solicitação até {date}.',
  'status.cancel': 'Cancelar esta solicitação',
  'status.systems.title': 'Andamento nos nossos sistemas',
  'status.systems.system': 'Sistema',
  'status.systems.status': 'Situação',
  'status.systems.none': 'O trabalho nos nossos sistemas ainda não começou.',
  'system.status.pending': 'Pendente',
  'system.status.in-progress': 'Em andamento',
  'system.status.retrying': 'Tentando novamente',
  'system.status.waiting-on-vendor': 'Aguardando fornecedor',
  'system.status.done': 'Concluído',
  'system.status.nothing-held': 'Nenhum dado',
  'system.status.failed': 'Falhou',
  'system.status.waiting-on-operator': 'Aguardando nossa equipe',
  'status.certificate.title': 'Certificado de conclusão',
  'status.certificate.summary':
    'Procuramos seus dados em {total, plural, one {# sistema} other {# sistemas}}: {done, plural, one {# concluiu sua solicitação} other {# concluíram sua solicitação}} e {nothingHeld, plural, one {# não tinha dados sobre você} other {# não tinham dados sobre você}}.',
  'status.certificate.link': 'Baixar o certificado',
  'status.export.link': 'Baixar seus dados',
  'status.export.expires': 'Este link de download vale até {date}.',

  'prefs.title': 'Suas escolhas de privacidade',
  'prefs.intro':
    'Escolha como podemos usar seus dados. Suas escolhas valem para todos os nossos sistemas; uma alteração pode levar alguns minutos para chegar a cada um deles.',
  'prefs.purpose.emailMarketing': 'E-mails de marketing',
  'prefs.purpose.emailMarketing.help': 'Novidades, ofertas e recomendações por e-mail.',
  'prefs.purpose.smsMarketing': 'SMS de marketing',
  'prefs.purpose.smsMarketing.help': 'Ofertas e lembretes por SMS.',
  'prefs.purpose.push': 'Notificações push',
  'prefs.purpose.push.help': 'Notificações do nosso app no seu celular ou navegador.',
  'prefs.purpose.personalisedAds': 'Publicidade personalizada',
  'prefs.purpose.personalisedAds.help': 'Anúncios em outros sites e apps com base no que você faz conosco.',
  'prefs.purpose.analytics': 'Análise de uso',
  'prefs.purpose.analytics.help': 'Medir como nosso site e nossos apps são usados, para melhorá-los.',
  'prefs.purpose.saleSharing': 'Venda ou compartilhamento de dados',
  'prefs.purpose.saleSharing.help': 'Compartilhar seus dados com parceiros para os fins deles, incluindo publicidade direcionada.',
  'prefs.purpose.crossBorderTransfer': 'Transferência internacional',
  'prefs.purpose.crossBorderTransfer.help': 'Tratamento dos seus dados em outro país, por exemplo pelos nossos fornecedores.',
  'prefs.granted': 'Permitido',
  'prefs.denied': 'Não permitido',
  'prefs.basis.explicit': 'Sua escolha',
  'prefs.basis.default': 'Padrão onde você mora',
  'prefs.submit': 'Salvar minhas escolhas',
  'prefs.propagation.title': 'Aplicando sua última alteração',
  'prefs.propagation.intro': 'Onde sua última alteração já chegou:',

  'email.greeting': 'Olá,',
  'email.footer':
    'Número da solicitação: {requestId}. Esta é uma mensagem automática sobre sua solicitação de privacidade; as respostas não são lidas.',
  'email.statusLink': 'Você pode acompanhar o andamento aqui:',
  'email.requestType': 'Solicitação: {typeName}',
  'email.verification.subject': 'Confirme sua solicitação de privacidade',
  'email.verification.intro': 'Recebemos uma solicitação de privacidade para este e-mail. Para confirmar que foi você, digite este código na página onde fez a solicitação:',
  'email.verification.link': 'Ou confirme abrindo este link:',
  'email.verification.expiry': 'O código e o link expiram em {minutes, plural, one {# minuto} other {# minutos}}.',
  'email.verification.ignore': 'Se você não fez esta solicitação, ignore este e-mail. Nada vai mudar.',
  'email.received.subject': 'Estamos cuidando da sua solicitação de privacidade',
  'email.received.body': 'Obrigado por confirmar sua solicitação de privacidade. Já começamos a cuidar dela.',
  'email.completed.subject': 'Sua solicitação de privacidade foi concluída',
  'email.completed.intro':
    '{type, select, access {A cópia dos seus dados está pronta.} deletion {Excluímos seus dados pessoais dos nossos sistemas, exceto o que a lei nos obriga a manter.} correction {Corrigimos seus dados.} optOut {Não vendemos nem compartilhamos mais seus dados, nem os usamos para publicidade direcionada.} restriction {Limitamos o uso dos seus dados.} other {Concluímos sua solicitação.}}',
  'email.completed.certificate': 'Seu certificado de conclusão mostra o que fizemos em cada sistema:',
  'email.completed.export': 'Baixe seus dados aqui:',
  'email.completed.exportExpiry': 'Este link vale até {date}. Depois disso, você pode pedir uma nova cópia.',
  'email.cancelled.subject': 'Sua solicitação de privacidade foi cancelada',
  'email.cancelled.body': 'Sua solicitação de privacidade foi cancelada e não alteramos nenhum dos seus dados. Você pode fazer uma nova solicitação quando quiser.',
};

const ja: Catalogue = {
  'portal.name': 'プライバシーセンター',
  'portal.language': '言語',
  'portal.startOver': '新しいリクエストを送る',

  'form.title': '個人情報に関するリクエスト',
  'form.intro':
    '当社が保有するお客様の個人情報について、開示・削除・訂正、または利用の制限をご依頼いただけます。対応を始める前に、ご本人であることを確認するためのコードをメールでお送りします。',
  'form.typeLegend': 'ご希望の内容を選んでください',
  'request.type.access': '個人情報の開示（コピーの受け取り）',
  'request.type.access.help': '当社が保有するお客様の個人情報のコピーをお送りします。',
  'request.type.deletion': '個人情報の削除',
  'request.type.deletion.help': '法律で保存が義務づけられているものを除き、すべてのシステムからお客様の個人情報を削除します。',
  'request.type.correction': '個人情報の訂正',
  'request.type.correction.help': '誤っている、または不足しているお客様の情報を訂正します。',
  'request.type.optOut': '個人情報の販売・共有の停止',
  'request.type.optOut.help': 'お客様の情報の販売・共有と、ターゲティング広告への利用を停止します。',
  'request.type.restriction': '個人情報の利用制限',
  'request.type.restriction.help': 'お客様の情報は保管しますが、法律で認められる範囲でのみ利用します。',
  'form.email': 'メールアドレス',
  'form.email.help': 'このアドレスに確認コードをお送りします。',
  'form.country': 'お住まいの国・地域',
  'form.country.choose': '国・地域を選択してください',
  'form.usState': '州（米国にお住まいの場合のみ）',
  'form.usState.none': '米国以外',
  'form.details': '訂正したい内容',
  'form.details.help': '訂正をご希望の場合のみ：どの情報が誤っていて、正しくはどうなるかをご記入ください。',
  'form.submit': 'リクエストを送信',
  'form.error.title': '入力内容をご確認ください',
  'form.error.type': 'ご希望の内容を選んでください。',
  'form.error.email': 'メールアドレスを name@example.com の形式で入力してください。',
  'form.error.country': 'お住まいの国・地域を選んでください。',
  'form.error.usState': '一覧から州を選んでください。',
  'form.error.details': '訂正したい内容をご記入ください。',
  'form.error.session': 'ページを開いてから時間が経ちすぎました。もう一度送信してください。',

  'checkEmail.title': 'メールをご確認ください',
  'checkEmail.body':
    'ご入力いただいたメールアドレスにメッセージをお送りしました。6桁のコードとリンクが記載されています。下にコードを入力するか、リンクを開いてリクエストを確定してください。',
  'checkEmail.code': '確認コード',
  'checkEmail.code.help': 'メールに記載された6桁の数字',
  'checkEmail.submit': '確認する',
  'checkEmail.notReceived':
    'メールが届かない場合は、数分お待ちいただくか、迷惑メールフォルダをご確認ください。アドレスが違っていた場合は、新しいリクエストをお送りください。',
  'request.reference': '受付番号：{requestId}',

  'verify.expired.title': 'このリンクは有効期限が切れています',
  'verify.expired.body':
    '安全のため、確認コードとリンクの有効期間は短く設定されています。お手数ですが、もう一度リクエストをお送りください。新しいコードをお送りします。',
  'verify.invalid.title': 'このリンクは無効です',
  'verify.invalid.body':
    'リンクが途中で切れているか、すでに使用されている可能性があります。メールからリンク全体をコピーするか、もう一度リクエストをお送りください。',
  'verify.codeWrong.title': 'コードが正しくありません',
  'verify.codeWrong.body':
    'メールに記載された6桁のコードをご確認のうえ、もう一度入力してください。{attemptsLeft, plural, other {あと#回入力できます。}}',
  'verify.tooManyAttempts.title': '入力回数の上限に達しました',
  'verify.tooManyAttempts.body':
    'お客様の情報を守るため、このリクエストではコードを受け付けられなくなりました。新しいリクエストをお送りください。',

  'error.notFound.title': 'ページが見つかりません',
  'error.notFound.body': 'アドレスが間違っているか、このリクエストはご利用いただけなくなっています。',
  'error.generic.title': '問題が発生しました',
  'error.generic.body': '当社側でエラーが発生しました。数分後にもう一度お試しください。',

  'status.title': '個人情報に関するリクエストの状況',
  'status.type': 'リクエスト内容',
  'status.receivedOn': '受付日：{date}',
  'status.deadline': '{date}までにご回答します。',
  'status.current': '現在の状況',
  'status.state.awaiting-verification': 'メールアドレスの確認をお待ちしています',
  'status.state.verified': '確認済み：まもなく対応を開始します',
  'status.state.suppressed': 'リクエストへの対応中は、マーケティングのご連絡を停止しています',
  'status.state.cooling-off': '確認期間中：まだ取り消すことができます',
  'status.state.in-progress': '対応中',
  'status.state.waiting-on-vendor': '委託先の対応を待っています',
  'status.state.completed': '完了',
  'status.state.cancelled': '取り消し済み',
  'status.state.rejected': 'このリクエストにはお応えできませんでした',
  'status.state.duplicate': 'ほかのリクエストですでに対応しています',
  'status.coolingOff.cancelUntil': 'このリクエストは{date}まで取り消すことができます。',
  'status.cancel': 'このリクエストを取り消す',
  'status.systems.title': '各システムでの対応状況',
  'status.systems.system': 'システム',
  'status.systems.status': '状況',
  'status.systems.none': '各システムでの対応はまだ始まっていません。',
  'system.status.pending': '未着手',
  'system.status.in-progress': '対応中',
  'system.status.retrying': '再試行中',
  'system.status.waiting-on-vendor': '委託先の対応待ち',
  'system.status.done': '完了',
  'system.status.nothing-held': '保有データなし',
  'system.status.failed': '失敗',
  'system.status.waiting-on-operator': '担当者の対応待ち',
  'status.certificate.title': '対応完了証明書',
  'status.certificate.summary':
    '{total, plural, other {#件のシステム}}でお客様の情報を確認しました。{done, number}件でリクエストへの対応を完了し、{nothingHeld, number}件にはお客様の情報はありませんでした。',
  'status.certificate.link': '証明書をダウンロード',
  'status.export.link': 'データをダウンロード',
  'status.export.expires': 'このダウンロードリンクは{date}まで有効です。',

  'prefs.title': 'プライバシー設定',
  'prefs.intro':
    'お客様の情報をどのように利用してよいかをお選びください。設定はすべてのシステムに反映されます。反映まで数分かかる場合があります。',
  'prefs.purpose.emailMarketing': 'マーケティングメール',
  'prefs.purpose.emailMarketing.help': 'ニュース、キャンペーン、おすすめ情報をメールでお届けします。',
  'prefs.purpose.smsMarketing': 'マーケティングSMS',
  'prefs.purpose.smsMarketing.help': 'キャンペーンやリマインダーをSMSでお届けします。',
  'prefs.purpose.push': 'プッシュ通知',
  'prefs.purpose.push.help': 'スマートフォンやブラウザに、アプリからのお知らせを表示します。',
  'prefs.purpose.personalisedAds': 'パーソナライズ広告',
  'prefs.purpose.personalisedAds.help': '当社でのご利用状況に基づき、他のウェブサイトやアプリに広告を表示します。',
  'prefs.purpose.analytics': '利用状況の分析',
  'prefs.purpose.analytics.help': 'ウェブサイトやアプリを改善するため、利用状況を計測します。',
  'prefs.purpose.saleSharing': '個人情報の販売・共有',
  'prefs.purpose.saleSharing.help': 'パートナー企業が独自の目的（ターゲティング広告を含む）で利用できるよう、お客様の情報を共有します。',
  'prefs.purpose.crossBorderTransfer': '外国への移転',
  'prefs.purpose.crossBorderTransfer.help': '委託先などが、お客様の情報を国外で取り扱います。',
  'prefs.granted': '許可する',
  'prefs.denied': '許可しない',
  'prefs.basis.explicit': 'お客様が選択',
  'prefs.basis.default': 'お住まいの地域の初期設定',
  'prefs.submit': '設定を保存',
  'prefs.propagation.title': '最新の変更の反映状況',
  'prefs.propagation.intro': '各システムへの反映状況：',

  'email.greeting': 'お客様',
  'email.footer':
    '受付番号：{requestId}。このメールは個人情報に関するリクエストについて自動送信しています。ご返信いただいても確認できませんのでご了承ください。',
  'email.statusLink': '対応状況は次のページでご確認いただけます：',
  'email.requestType': 'リクエスト内容：{typeName}',
  'email.verification.subject': '個人情報に関するリクエストの確認',
  'email.verification.intro': 'このメールアドレスで、個人情報に関するリクエストを受け付けました。ご本人によるリクエストであることを確認するため、リクエストを送信したページで次のコードを入力してください：',
  'email.verification.link': 'または、次のリンクを開いて確認することもできます：',
  'email.verification.expiry': 'コードとリンクの有効期限は{minutes, plural, other {#分}}です。',
  'email.verification.ignore': 'お心当たりのない場合は、このメールを破棄してください。何も変更されません。',
  'email.received.subject': '個人情報に関するリクエストへの対応を開始しました',
  'email.received.body': '個人情報に関するリクエストをご確認いただきありがとうございます。対応を開始しました。',
  'email.completed.subject': '個人情報に関するリクエストへの対応が完了しました',
  'email.completed.intro':
    '{type, select, access {お客様の情報のコピーをご用意しました。} deletion {法律で保存が義務づけられているものを除き、お客様の個人情報を当社のシステムから削除しました。} correction {お客様の情報を訂正しました。} optOut {お客様の情報の販売・共有と、ターゲティング広告への利用を停止しました。} restriction {お客様の情報の利用を制限しました。} other {リクエストへの対応が完了しました。}}',
  'email.completed.certificate': '各システムでの対応内容は、対応完了証明書でご確認いただけます：',
  'email.completed.export': 'データは次のリンクからダウンロードできます：',
  'email.completed.exportExpiry': 'このリンクは{date}まで有効です。期限が過ぎた場合は、あらためてコピーをご依頼ください。',
  'email.cancelled.subject': '個人情報に関するリクエストを取り消しました',
  'email.cancelled.body': '個人情報に関するリクエストを取り消しました。お客様の情報は一切変更していません。新しいリクエストはいつでもお送りいただけます。',
};

const ko: Catalogue = {
  'portal.name': '개인정보 센터',
  'portal.language': '언어',
  'portal.startOver': '새로 요청하기',

  'form.title': '개인정보 요청하기',
  'form.intro':
    '당사가 보유한 고객님의 개인정보를 열람, 삭제, 정정하거나 처리를 제한하도록 요청하실 수 있습니다. 요청을 처리하기 전에 본인 확인을 위해 이메일로 코드를 보내 드립니다.',
  'form.typeLegend': '어떤 요청을 하시겠습니까?',
  'request.type.access': '내 정보 사본 받기',
  'request.type.access.help': '당사가 보유한 고객님의 개인정보 사본을 보내 드립니다.',
  'request.type.deletion': '내 정보 삭제',
  'request.type.deletion.help': '법에 따라 보관해야 하는 정보를 제외하고, 모든 시스템에서 고객님의 개인정보를 삭제합니다.',
  'request.type.correction': '내 정보 정정',
  'request.type.correction.help': '잘못되었거나 빠진 고객님의 정보를 바로잡습니다.',
  'request.type.optOut': '내 정보 판매·공유 거부',
  'request.type.optOut.help': '고객님의 정보 판매·공유와 맞춤형 광고 이용을 중단합니다.',
  'request.type.restriction': '내 정보 처리 제한',
  'request.type.restriction.help': '고객님의 정보는 보관하되, 법이 허용하는 범위에서만 이용합니다.',
  'form.email': '이메일 주소',
  'form.email.help': '이 주소로 확인 코드를 보내 드립니다.',
  'form.country': '거주 국가 또는 지역',
  'form.country.choose': '국가 또는 지역 선택',
  'form.usState': '주(미국 거주자만 해당)',
  'form.usState.none': '미국 외 지역',
  'form.details': '정정할 내용',
  'form.details.help': '정정을 요청하는 경우에만 작성해 주세요. 어떤 정보가 잘못되었고 어떻게 고쳐야 하는지 알려 주세요.',
  'form.submit': '요청 보내기',
  'form.error.title': '입력 내용을 확인해 주세요',
  'form.error.type': '원하시는 요청을 선택해 주세요.',
  'form.error.email': '이메일 주소를 name@example.com 형식으로 입력해 주세요.',
  'form.error.country': '거주 국가 또는 지역을 선택해 주세요.',
  'form.error.usState': '목록에서 주를 선택해 주세요.',
  'form.error.details': '정정할 내용을 알려 주세요.',
  'form.error.session': '페이지가 너무 오래 열려 있었습니다. 양식을 다시 보내 주세요.',

  'checkEmail.title': '이메일을 확인해 주세요',
  'checkEmail.body':
    '입력하신 이메일 주소로 메시지를 보냈습니다. 메시지에는 6자리 코드와 링크가 들어 있습니다. 아래에 코드를 입력하거나 링크를 열어 요청을 확인해 주세요.',
  'checkEmail.code': '확인 코드',
  'checkEmail.code.help': '이메일에 있는 6자리 숫자',
  'checkEmail.submit': '확인',
  'checkEmail.notReceived':
    '메일이 오지 않았나요? 도착하기까지 몇 분 걸릴 수 있습니다. 스팸 메일함을 확인하시거나, 올바른 주소로 새로 요청해 주세요.',
  'request.reference': '요청 번호: {requestId}',

  'verify.expired.title': '링크가 만료되었습니다',
  'verify.expired.body':
    '보안을 위해 확인 코드와 링크는 짧은 시간 동안만 유효합니다. 다시 요청해 주시면 새 코드를 보내 드립니다.',
  'verify.invalid.title': '유효하지 않은 링크입니다',
  'verify.invalid.body': '링크가 잘렸거나 이미 사용되었을 수 있습니다. 이메일에서 링크 전체를 복사하거나 다시 요청해 주세요.',
  'verify.codeWrong.title': '코드가 올바르지 않습니다',
  'verify.codeWrong.body':
    '이메일에 있는 6자리 코드를 확인하고 다시 입력해 주세요. {attemptsLeft, plural, other {앞으로 #번 더 시도할 수 있습니다.}}',
  'verify.tooManyAttempts.title': '시도 횟수를 초과했습니다',
  'verify.tooManyAttempts.body': '고객님의 정보를 보호하기 위해 이 요청에는 더 이상 코드를 입력할 수 없습니다. 새로 요청해 주세요.',

  'error.notFound.title': '페이지를 찾을 수 없습니다',
  'error.notFound.body': '주소가 잘못되었거나 더 이상 확인할 수 없는 요청입니다.',
  'error.generic.title': '문제가 발생했습니다',
  'error.generic.body': '당사 측에서 오류가 발생했습니다. 몇 분 후에 다시 시도해 주세요.',

  'status.title': '개인정보 요청 현황',
  'status.type': '요청 내용',
  'status.receivedOn': '접수일: {date}',
  'status.deadline': '{date}까지 답변해 드리겠습니다.',
  'status.current': '현재 상태',
  'status.state.awaiting-verification': '이메일 주소 확인을 기다리고 있습니다',
  'status.state.verified': '확인 완료: 곧 처리를 시작합니다',
  'status.state.suppressed': '요청을 처리하는 동안 마케팅 연락을 중단했습니다',
  'status.state.cooling-off': '숙려 기간: 아직 취소하실 수 있습니다',
  'status.state.in-progress': '처리 중',
  'status.state.waiting-on-vendor': '협력업체의 처리를 기다리고 있습니다',
  'status.state.completed': '완료',
  'status.state.cancelled': '취소됨',
  'status.state.rejected': '이 요청은 처리할 수 없었습니다',
  'status.state.duplicate': '고객님의 다른 요청에 이미 포함되어 있습니다',
  'status.coolingOff.cancelUntil': '{date}까지 이 요청을 취소하실 수 있습니다.',
  'status.cancel': '요청 취소',
  'status.systems.title': '시스템별 처리 현황',
  'status.systems.system': '시스템',
  'status.systems.status': '상태',
  'status.systems.none': '아직 시스템에서 처리를 시작하지 않았습니다.',
  'system.status.pending': '대기 중',
  'system.status.in-progress': '처리 중',
  'system.status.retrying': '재시도 중',
  'system.status.waiting-on-vendor': '협력업체 대기',
  'system.status.done': '완료',
  'system.status.nothing-held': '보유 정보 없음',
  'system.status.failed': '실패',
  'system.status.waiting-on-operator': '담당자 확인 대기',
  'status.certificate.title': '처리 완료 확인서',
  'status.certificate.summary':
    '시스템 {total, plural, other {#개}}에서 고객님의 정보를 확인했습니다. {done, number}개 시스템에서 요청 처리를 마쳤고, {nothingHeld, number}개 시스템에는 고객님의 정보가 없었습니다.',
  'status.certificate.link': '확인서 다운로드',
  'status.export.link': '내 정보 다운로드',
  'status.export.expires': '이 다운로드 링크는 {date}까지 유효합니다.',

  'prefs.title': '개인정보 설정',
  'prefs.intro':
    '고객님의 정보를 어떻게 이용할지 선택해 주세요. 선택하신 내용은 모든 시스템에 적용되며, 반영까지 몇 분 정도 걸릴 수 있습니다.',
  'prefs.purpose.emailMarketing': '마케팅 이메일',
  'prefs.purpose.emailMarketing.help': '소식, 혜택, 추천 상품을 이메일로 보내 드립니다.',
  'prefs.purpose.smsMarketing': '마케팅 문자',
  'prefs.purpose.smsMarketing.help': '혜택과 알림을 문자 메시지로 보내 드립니다.',
  'prefs.purpose.push': '푸시 알림',
  'prefs.purpose.push.help': '휴대폰이나 브라우저에 앱 알림을 보내 드립니다.',
  'prefs.purpose.personalisedAds': '맞춤형 광고',
  'prefs.purpose.personalisedAds.help': '당사 서비스 이용 내역을 바탕으로 다른 웹사이트와 앱에 광고를 보여 드립니다.',
  'prefs.purpose.analytics': '이용 분석',
  'prefs.purpose.analytics.help': '웹사이트와 앱을 개선하기 위해 이용 현황을 측정합니다.',
  'prefs.purpose.saleSharing': '정보 판매·공유',
  'prefs.purpose.saleSharing.help': '맞춤형 광고를 포함해 파트너사가 자체 목적으로 이용하도록 고객님의 정보를 공유합니다.',
  'prefs.purpose.crossBorderTransfer': '국외 이전',
  'prefs.purpose.crossBorderTransfer.help': '협력업체 등이 고객님의 정보를 다른 국가에서 처리합니다.',
  'prefs.granted': '허용',
  'prefs.denied': '허용 안 함',
  'prefs.basis.explicit': '고객님이 선택함',
  'prefs.basis.default': '거주 지역의 기본 설정',
  'prefs.submit': '설정 저장',
  'prefs.propagation.title': '최근 변경 사항 반영 현황',
  'prefs.propagation.intro': '시스템별 반영 상태:',

  'email.greeting': '안녕하세요.',
  'email.footer':
    '요청 번호: {requestId}. 이 메일은 개인정보 요청과 관련해 자동으로 발송되었으며, 회신하셔도 확인되지 않습니다.',
  'email.statusLink': '처리 현황은 여기에서 확인하실 수 있습니다:',
  'email.requestType': '요청 내용: {typeName}',
  'email.verification.subject': '개인정보 요청을 확인해 주세요',
  'email.verification.intro': '이 이메일 주소로 개인정보 요청이 접수되었습니다. 본인이 요청하신 것이 맞다면, 요청하신 페이지에서 다음 코드를 입력해 주세요:',
  'email.verification.link': '또는 다음 링크를 열어 확인하실 수 있습니다:',
  'email.verification.expiry': '코드와 링크는 {minutes, plural, other {#분}} 후에 만료됩니다.',
  'email.verification.ignore': '요청하신 적이 없다면 이 메일을 무시하셔도 됩니다. 아무것도 변경되지 않습니다.',
  'email.received.subject': '개인정보 요청 처리를 시작했습니다',
  'email.received.body': '개인정보 요청을 확인해 주셔서 감사합니다. 처리를 시작했습니다.',
  'email.completed.subject': '개인정보 요청 처리가 완료되었습니다',
  'email.completed.intro':
    '{type, select, access {고객님의 정보 사본이 준비되었습니다.} deletion {법에 따라 보관해야 하는 정보를 제외하고, 고객님의 개인정보를 당사 시스템에서 삭제했습니다.} correction {고객님의 정보를 정정했습니다.} optOut {이제 고객님의 정보를 판매·공유하거나 맞춤형 광고에 이용하지 않습니다.} restriction {고객님의 정보 처리를 제한했습니다.} other {요청 처리를 완료했습니다.}}',
  'email.completed.certificate': '시스템별 처리 내용은 처리 완료 확인서에서 확인하실 수 있습니다:',
  'email.completed.export': '여기에서 정보를 다운로드하실 수 있습니다:',
  'email.completed.exportExpiry': '이 링크는 {date}까지 유효합니다. 이후에는 새 사본을 요청하실 수 있습니다.',
  'email.cancelled.subject': '개인정보 요청이 취소되었습니다',
  'email.cancelled.body': '개인정보 요청이 취소되었으며, 고객님의 정보는 변경하지 않았습니다. 언제든지 새로 요청하실 수 있습니다.',
};

const zhHans: Catalogue = {
  'portal.name': '隐私中心',
  'portal.language': '语言',
  'portal.startOver': '提交新的请求',

  'form.title': '提交个人信息请求',
  'form.intro':
    '您可以要求我们提供、删除或更正我们持有的您的个人信息，或限制其使用。在采取任何行动之前，我们会通过电子邮件向您发送验证码，以确认是您本人。',
  'form.typeLegend': '您希望我们做什么？',
  'request.type.access': '获取我的数据副本',
  'request.type.access.help': '我们会向您发送我们持有的您的个人信息副本。',
  'request.type.deletion': '删除我的数据',
  'request.type.deletion.help': '除法律要求我们保留的信息外，我们会从所有系统中删除您的个人信息。',
  'request.type.correction': '更正我的数据',
  'request.type.correction.help': '我们会更正有误或不完整的个人信息。',
  'request.type.optOut': '不出售或共享我的数据',
  'request.type.optOut.help': '我们将停止出售或共享您的数据，并停止将其用于定向广告。',
  'request.type.restriction': '限制使用我的数据',
  'request.type.restriction.help': '我们会保留您的数据，但仅在法律允许的范围内使用。',
  'form.email': '电子邮件地址',
  'form.email.help': '我们会将验证码发送到此地址。',
  'form.country': '您居住的国家或地区',
  'form.country.choose': '请选择国家或地区',
  'form.usState': '州（仅限美国）',
  'form.usState.none': '不在美国',
  'form.details': '需要更正的内容',
  'form.details.help': '仅限更正请求：请告诉我们哪些信息有误，以及正确的信息是什么。',
  'form.submit': '提交请求',
  'form.error.title': '请检查表单',
  'form.error.type': '请选择您希望我们做什么。',
  'form.error.email': '请按 name@example.com 的格式输入电子邮件地址。',
  'form.error.country': '请选择您居住的国家或地区。',
  'form.error.usState': '请从列表中选择您所在的州。',
  'form.error.details': '请告诉我们需要更正的内容。',
  'form.error.session': '此页面打开时间过长，请重新提交表单。',

  'checkEmail.title': '请查收电子邮件',
  'checkEmail.body':
    '我们已向您提供的电子邮件地址发送了一封邮件，其中包含一个 6 位验证码和一个链接。请在下方输入验证码，或打开链接，以确认您的请求。',
  'checkEmail.code': '验证码',
  'checkEmail.code.help': '邮件中的 6 位数字',
  'checkEmail.submit': '确认',
  'checkEmail.notReceived': '没有收到邮件？邮件可能需要几分钟才能送达。请检查垃圾邮件文件夹，或使用正确的地址重新提交请求。',
  'request.reference': '请求编号：{requestId}',

  'verify.expired.title': '此链接已过期',
  'verify.expired.body': '为了您的安全，验证码和链接仅在短时间内有效。请重新提交请求，我们会向您发送新的验证码。',
  'verify.invalid.title': '此链接无效',
  'verify.invalid.body': '链接可能不完整或已被使用。请从邮件中复制完整的链接，或重新提交请求。',
  'verify.codeWrong.title': '验证码不正确',
  'verify.codeWrong.body': '请核对邮件中的 6 位验证码后重试。{attemptsLeft, plural, other {您还可以尝试 # 次。}}',
  'verify.tooManyAttempts.title': '尝试次数过多',
  'verify.tooManyAttempts.body': '为了保护您的数据，此请求已不再接受验证码。请重新提交请求。',

  'error.notFound.title': '找不到此页面',
  'error.notFound.body': '地址可能有误，或该请求已无法查看。',
  'error.generic.title': '出现问题',
  'error.generic.body': '我们这边出现了错误，请几分钟后重试。',

  'status.title': '您的个人信息请求',
  'status.type': '请求内容',
  'status.receivedOn': '收到日期：{date}',
  'status.deadline': '我们将于{date}前答复您。',
  'status.current': '当前状态',
  'status.state.awaiting-verification': '正在等待您确认电子邮件地址',
  'status.state.verified': '已确认：我们即将开始处理',
  'status.state.suppressed': '在处理您的请求期间，我们已停止向您发送营销信息',
  'status.state.cooling-off': '冷静期：您仍可以改变主意',
  'status.state.in-progress': '处理中',
  'status.state.waiting-on-vendor': '正在等待我们的服务提供商处理',
  'status.state.completed': '已完成',
  'status.state.cancelled': '已取消',
  'status.state.rejected': '我们无法执行此请求',
  'status.state.duplicate': '已包含在您的另一项请求中',
  'status.coolingOff.cancelUntil': '您可以在{date}之前取消此请求。',
  'status.cancel': '取消此请求',
  'status.systems.title': '各系统处理进度',
  'status.systems.system': '系统',
  'status.systems.status': '状态',
  'status.systems.none': '我们尚未开始在各系统中处理。',
  'system.status.pending': '待处理',
  'system.status.in-progress': '处理中',
  'system.status.retrying': '正在重试',
  'system.status.waiting-on-vendor': '等待服务商',
  'system.status.done': '已完成',
  'system.status.nothing-held': '无相关数据',
  'system.status.failed': '失败',
  'system.status.waiting-on-operator': '等待工作人员处理',
  'status.certificate.title': '完成证明',
  'status.certificate.summary':
    '我们在{total, plural, other {# 个系统}}中查找了您的数据：{done, number} 个系统已完成您的请求，{nothingHeld, number} 个系统没有您的数据。',
  'status.certificate.link': '下载证明',
  'status.export.link': '下载您的数据',
  'status.export.expires': '此下载链接在{date}之前有效。',

  'prefs.title': '您的隐私选项',
  'prefs.intro': '请选择我们可以如何使用您的数据。您的选择适用于我们的所有系统；更改可能需要几分钟才能同步到各个系统。',
  'prefs.purpose.emailMarketing': '营销电子邮件',
  'prefs.purpose.emailMarketing.help': '通过电子邮件发送新闻、优惠和推荐。',
  'prefs.purpose.smsMarketing': '营销短信',
  'prefs.purpose.smsMarketing.help': '通过短信发送优惠和提醒。',
  'prefs.purpose.push': '推送通知',
  'prefs.purpose.push.help': '在您的手机或浏览器上显示我们应用的通知。',
  'prefs.purpose.personalisedAds': '个性化广告',
  'prefs.purpose.personalisedAds.help': '根据您在我们这里的活动，在其他网站和应用中展示广告。',
  'prefs.purpose.analytics': '使用分析',
  'prefs.purpose.analytics.help': '统计我们网站和应用的使用情况，以便加以改进。',
  'prefs.purpose.saleSharing': '出售或共享数据',
  'prefs.purpose.saleSharing.help': '将您的数据共享给合作伙伴用于其自身目的，包括定向广告。',
  'prefs.purpose.crossBorderTransfer': '跨境传输',
  'prefs.purpose.crossBorderTransfer.help': '在其他国家或地区处理您的数据，例如由我们的服务提供商处理。',
  'prefs.granted': '允许',
  'prefs.denied': '不允许',
  'prefs.basis.explicit': '您的选择',
  'prefs.basis.default': '您所在地区的默认设置',
  'prefs.submit': '保存我的选择',
  'prefs.propagation.title': '最近更改的同步情况',
  'prefs.propagation.intro': '各系统的同步状态：',

  'email.greeting': '您好：',
  'email.footer': '请求编号：{requestId}。这是一封关于您的个人信息请求的自动邮件，我们不会阅读回复。',
  'email.statusLink': '您可以在此查看处理进度：',
  'email.requestType': '请求内容：{typeName}',
  'email.verification.subject': '请确认您的个人信息请求',
  'email.verification.intro': '我们收到了使用此电子邮件地址提交的个人信息请求。为确认是您本人提交，请在提交请求的页面上输入以下验证码：',
  'email.verification.link': '您也可以打开以下链接进行确认：',
  'email.verification.expiry': '验证码和链接将在{minutes, plural, other {# 分钟}}后失效。',
  'email.verification.ignore': '如果您没有提交此请求，请忽略此邮件，不会有任何更改。',
  'email.received.subject': '我们正在处理您的个人信息请求',
  'email.received.body': '感谢您确认个人信息请求。我们已开始处理。',
  'email.completed.subject': '您的个人信息请求已处理完成',
  'email.completed.intro':
    '{type, select, access {您的数据副本已准备好。} deletion {除法律要求我们保留的信息外，我们已从系统中删除您的个人信息。} correction {我们已更正您的数据。} optOut {我们已不再出售或共享您的数据，也不再将其用于定向广告。} restriction {我们已限制对您数据的使用。} other {我们已完成您的请求。}}',
  'email.completed.certificate': '完成证明列出了我们在每个系统中所做的处理：',
  'email.completed.export': '请在此下载您的数据：',
  'email.completed.exportExpiry': '此链接在{date}之前有效。之后，您可以重新申请副本。',
  'email.cancelled.subject': '您的个人信息请求已取消',
  'email.cancelled.body': '您的个人信息请求已取消，我们没有更改您的任何数据。您可以随时提交新的请求。',
};

const zhHant: Catalogue = {
  'portal.name': '隱私權中心',
  'portal.language': '語言',
  'portal.startOver': '提出新的請求',

  'form.title': '提出個人資料請求',
  'form.intro':
    '您可以要求我們提供、刪除或更正我們持有的您的個人資料，或限制其使用。在採取任何行動之前，我們會以電子郵件寄送驗證碼給您，確認是您本人。',
  'form.typeLegend': '您希望我們做什麼？',
  'request.type.access': '取得我的資料副本',
  'request.type.access.help': '我們會將我們持有的您的個人資料副本寄給您。',
  'request.type.deletion': '刪除我的資料',
  'request.type.deletion.help': '除法律規定須保存的資料外，我們會從所有系統中刪除您的個人資料。',
  'request.type.correction': '更正我的資料',
  'request.type.correction.help': '我們會更正錯誤或不完整的個人資料。',
  'request.type.optOut': '不出售或分享我的資料',
  'request.type.optOut.help': '我們將停止出售或分享您的資料，並停止將其用於目標式廣告。',
  'request.type.restriction': '限制使用我的資料',
  'request.type.restriction.help': '我們會保留您的資料，但僅在法律允許的範圍內使用。',
  'form.email': '電子郵件地址',
  'form.email.help': '我們會將驗證碼寄到這個地址。',
  'form.country': '您居住的國家或地區',
  'form.country.choose': '請選擇國家或地區',
  'form.usState': '州（僅限美國）',
  'form.usState.none': '不在美國',
  'form.details': '需要更正的內容',
  'form.details.help': '僅限更正請求：請告訴我們哪些資料有誤，以及正確的內容。',
  'form.submit': '送出請求',
  'form.error.title': '請檢查表單',
  'form.error.type': '請選擇您希望我們做什麼。',
  'form.error.email': '請依照 name@example.com 的格式輸入電子郵件地址。',
  'form.error.country': '請選擇您居住的國家或地區。',
  'form.error.usState': '請從清單中選擇您所在的州。',
  'form.error.details': '請告訴我們需要更正的內容。',
  'form.error.session': '此頁面開啟太久，請重新送出表單。',

  'checkEmail.title': '請查看您的電子郵件',
  'checkEmail.body':
    '我們已寄送一封郵件到您提供的電子郵件地址，內含 6 位數驗證碼和一個連結。請在下方輸入驗證碼，或開啟連結，以確認您的請求。',
  'checkEmail.code': '驗證碼',
  'checkEmail.code.help': '郵件中的 6 位數字',
  'checkEmail.submit': '確認',
  'checkEmail.notReceived': '沒有收到郵件嗎？郵件可能需要幾分鐘才會送達。請檢查垃圾郵件資料夾，或使用正確的地址重新提出請求。',
  'request.reference': '請求編號：{requestId}',

  'verify.expired.title': '此連結已過期',
  'verify.expired.body': '為了您的安全，驗證碼和連結僅在短時間內有效。請重新提出請求，我們會寄送新的驗證碼給您。',
  'verify.invalid.title': '此連結無效',
  'verify.invalid.body': '連結可能不完整或已使用過。請從郵件中複製完整連結，或重新提出請求。',
  'verify.codeWrong.title': '驗證碼不正確',
  'verify.codeWrong.body': '請確認郵件中的 6 位數驗證碼後再試一次。{attemptsLeft, plural, other {您還可以嘗試 # 次。}}',
  'verify.tooManyAttempts.title': '嘗試次數過多',
  'verify.tooManyAttempts.body': '為了保護您的資料，此請求已不再接受驗證碼。請重新提出請求。',

  'error.notFound.title': '找不到此頁面',
  'error.notFound.body': '網址可能有誤，或此請求已無法查看。',
  'error.generic.title': '發生問題',
  'error.generic.body': '我們這邊發生錯誤，請幾分鐘後再試一次。',

  'status.title': '您的個人資料請求',
  'status.type': '請求內容',
  'status.receivedOn': '收到日期：{date}',
  'status.deadline': '我們將於{date}前回覆您。',
  'status.current': '目前狀態',
  'status.state.awaiting-verification': '正在等待您確認電子郵件地址',
  'status.state.verified': '已確認：我們即將開始處理',
  'status.state.suppressed': '處理您的請求期間，我們已停止寄送行銷訊息給您',
  'status.state.cooling-off': '猶豫期：您仍可改變心意',
  'status.state.in-progress': '處理中',
  'status.state.waiting-on-vendor': '正在等待我們的服務供應商處理',
  'status.state.completed': '已完成',
  'status.state.cancelled': '已取消',
  'status.state.rejected': '我們無法執行此請求',
  'status.state.duplicate': '已包含在您的另一項請求中',
  'status.coolingOff.cancelUntil': '您可以在{date}前取消此請求。',
  'status.cancel': '取消此請求',
  'status.systems.title': '各系統處理進度',
  'status.systems.system': '系統',
  'status.systems.status': '狀態',
  'status.systems.none': '我們尚未開始在各系統中處理。',
  'system.status.pending': '待處理',
  'system.status.in-progress': '處理中',
  'system.status.retrying': '重試中',
  'system.status.waiting-on-vendor': '等待供應商',
  'system.status.done': '已完成',
  'system.status.nothing-held': '無相關資料',
  'system.status.failed': '失敗',
  'system.status.waiting-on-operator': '等待專人處理',
  'status.certificate.title': '完成證明',
  'status.certificate.summary':
    '我們在{total, plural, other {# 個系統}}中查找了您的資料：{done, number} 個系統已完成您的請求，{nothingHeld, number} 個系統沒有您的資料。',
  'status.certificate.link': '下載證明',
  'status.export.link': '下載您的資料',
  'status.export.expires': '此下載連結在{date}前有效。',

  'prefs.title': '您的隱私權選項',
  'prefs.intro': '請選擇我們可以如何使用您的資料。您的選擇適用於我們所有的系統；變更可能需要幾分鐘才會同步到各個系統。',
  'prefs.purpose.emailMarketing': '行銷電子郵件',
  'prefs.purpose.emailMarketing.help': '以電子郵件寄送最新消息、優惠和推薦。',
  'prefs.purpose.smsMarketing': '行銷簡訊',
  'prefs.purpose.smsMarketing.help': '以簡訊傳送優惠和提醒。',
  'prefs.purpose.push': '推播通知',
  'prefs.purpose.push.help': '在您的手機或瀏覽器上顯示我們應用程式的通知。',
  'prefs.purpose.personalisedAds': '個人化廣告',
  'prefs.purpose.personalisedAds.help': '根據您在我們這裡的活動，在其他網站和應用程式中顯示廣告。',
  'prefs.purpose.analytics': '使用分析',
  'prefs.purpose.analytics.help': '統計我們網站和應用程式的使用情況，以便改善。',
  'prefs.purpose.saleSharing': '出售或分享資料',
  'prefs.purpose.saleSharing.help': '將您的資料分享給合作夥伴作為其自身用途，包括目標式廣告。',
  'prefs.purpose.crossBorderTransfer': '跨境傳輸',
  'prefs.purpose.crossBorderTransfer.help': '在其他國家或地區處理您的資料，例如由我們的服務供應商處理。',
  'prefs.granted': '允許',
  'prefs.denied': '不允許',
  'prefs.basis.explicit': '您的選擇',
  'prefs.basis.default': '您所在地區的預設設定',
  'prefs.submit': '儲存我的選擇',
  'prefs.propagation.title': '最近變更的同步情形',
  'prefs.propagation.intro': '各系統的同步狀態：',

  'email.greeting': '您好：',
  'email.footer': '請求編號：{requestId}。這是一封關於您個人資料請求的自動郵件，我們不會閱讀回覆。',
  'email.statusLink': '您可以在這裡查看處理進度：',
  'email.requestType': '請求內容：{typeName}',
  'email.verification.subject': '請確認您的個人資料請求',
  'email.verification.intro': '我們收到以此電子郵件地址提出的個人資料請求。為確認是您本人提出，請在提出請求的頁面輸入以下驗證碼：',
  'email.verification.link': '您也可以開啟以下連結進行確認：',
  'email.verification.expiry': '驗證碼和連結將在{minutes, plural, other {# 分鐘}}後失效。',
  'email.verification.ignore': '如果您沒有提出此請求，請忽略這封郵件，不會有任何變更。',
  'email.received.subject': '我們正在處理您的個人資料請求',
  'email.received.body': '感謝您確認個人資料請求。我們已開始處理。',
  'email.completed.subject': '您的個人資料請求已處理完成',
  'email.completed.intro':
    '{type, select, access {您的資料副本已準備好。} deletion {除法律規定須保存的資料外，我們已從系統中刪除您的個人資料。} correction {我們已更正您的資料。} optOut {我們已不再出售或分享您的資料，也不再將其用於目標式廣告。} restriction {我們已限制對您資料的使用。} other {我們已完成您的請求。}}',
  'email.completed.certificate': '完成證明列出了我們在每個系統中所做的處理：',
  'email.completed.export': '請在這裡下載您的資料：',
  'email.completed.exportExpiry': '此連結在{date}前有效。之後，您可以重新申請副本。',
  'email.cancelled.subject': '您的個人資料請求已取消',
  'email.cancelled.body': '您的個人資料請求已取消，我們沒有變更您的任何資料。您可以隨時提出新的請求。',
};

const th: Catalogue = {
  'portal.name': 'ศูนย์ความเป็นส่วนตัว',
  'portal.language': 'ภาษา',
  'portal.startOver': 'ส่งคำขอใหม่',

  'form.title': 'ส่งคำขอเกี่ยวกับข้อมูลส่วนบุคคล',
  'form.intro':
    'คุณสามารถขอให้เราเปิดเผย ลบ หรือแก้ไขข้อมูลส่วนบุคคลที่เราเก็บไว้เกี่ยวกับคุณ หรือขอให้จำกัดการใช้ข้อมูลนั้นได้ ก่อนดำเนินการใด ๆ เราจะส่งรหัสทางอีเมลเพื่อยืนยันว่าเป็นคุณจริง',
  'form.typeLegend': 'คุณต้องการให้เราทำอะไร',
  'request.type.access': 'ขอรับสำเนาข้อมูลของฉัน',
  'request.type.access.help': 'เราจะส่งสำเนาข้อมูลส่วนบุคคลที่เราเก็บไว้เกี่ยวกับคุณให้คุณ',
  'request.type.deletion': 'ลบข้อมูลของฉัน',
  'request.type.deletion.help': 'เราจะลบข้อมูลส่วนบุคคลของคุณออกจากทุกระบบของเรา ยกเว้นข้อมูลที่กฎหมายกำหนดให้ต้องเก็บไว้',
  'request.type.correction': 'แก้ไขข้อมูลของฉัน',
  'request.type.correction.help': 'เราจะแก้ไขข้อมูลของคุณที่ไม่ถูกต้องหรือไม่ครบถ้วน',
  'request.type.optOut': 'ไม่ให้ขายหรือแบ่งปันข้อมูลของฉัน',
  'request.type.optOut.help': 'เราจะหยุดขายหรือแบ่งปันข้อมูลของคุณ และหยุดใช้ข้อมูลเพื่อโฆษณาแบบกำหนดเป้าหมาย',
  'request.type.restriction': 'จำกัดการใช้ข้อมูลของฉัน',
  'request.type.restriction.help': 'เราจะยังเก็บข้อมูลของคุณไว้ แต่จะใช้เฉพาะในกรณีที่กฎหมายอนุญาต',
  'form.email': 'อีเมล',
  'form.email.help': 'เราจะส่งรหัสยืนยันไปที่อีเมลนี้',
  'form.country': 'ประเทศหรือภูมิภาคที่คุณอาศัยอยู่',
  'form.country.choose': 'เลือกประเทศหรือภูมิภาค',
  'form.usState': 'รัฐ (เฉพาะในสหรัฐอเมริกา)',
  'form.usState.none': 'ไม่ได้อยู่ในสหรัฐอเมริกา',
  'form.details': 'สิ่งที่ต้องการให้แก้ไข',
  'form.details.help': 'เฉพาะคำขอแก้ไขข้อมูล: โปรดบอกเราว่าข้อมูลใดไม่ถูกต้อง และข้อมูลที่ถูกต้องคืออะไร',
  'form.submit': 'ส่งคำขอ',
  'form.error.title': 'โปรดตรวจสอบแบบฟอร์ม',
  'form.error.type': 'โปรดเลือกสิ่งที่คุณต้องการให้เราทำ',
  'form.error.email': 'โปรดกรอกอีเมลในรูปแบบ name@example.com',
  'form.error.country': 'โปรดเลือกประเทศหรือภูมิภาคที่คุณอาศัยอยู่',
  'form.error.usState': 'โปรดเลือกรัฐของคุณจากรายการ',
  'form.error.details': 'โปรดบอกเราว่าต้องการให้แก้ไขอะไร',
  'form.error.session': 'หน้านี้เปิดค้างไว้นานเกินไป โปรดส่งแบบฟอร์มอีกครั้ง',

  'checkEmail.title': 'โปรดตรวจสอบอีเมลของคุณ',
  'checkEmail.body':
    'เราได้ส่งข้อความไปยังอีเมลที่คุณให้ไว้แล้ว ในข้อความมีรหัส 6 หลักและลิงก์ โปรดกรอกรหัสด้านล่างหรือเปิดลิงก์เพื่อยืนยันคำขอของคุณ',
  'checkEmail.code': 'รหัสยืนยัน',
  'checkEmail.code.help': 'ตัวเลข 6 หลักจากอีเมล',
  'checkEmail.submit': 'ยืนยัน',
  'checkEmail.notReceived':
    'ยังไม่ได้รับอีเมลใช่ไหม อาจต้องรอสักครู่ โปรดตรวจสอบโฟลเดอร์จดหมายขยะ หรือส่งคำขอใหม่ด้วยอีเมลที่ถูกต้อง',
  'request.reference': 'หมายเลขคำขอ: {requestId}',

  'verify.expired.title': 'ลิงก์นี้หมดอายุแล้ว',
  'verify.expired.body':
    'เพื่อความปลอดภัยของคุณ รหัสและลิงก์ยืนยันจะใช้ได้เพียงช่วงเวลาสั้น ๆ โปรดส่งคำขออีกครั้ง แล้วเราจะส่งรหัสใหม่ให้คุณ',
  'verify.invalid.title': 'ลิงก์นี้ใช้ไม่ได้',
  'verify.invalid.body': 'ลิงก์อาจไม่ครบถ้วนหรือถูกใช้ไปแล้ว โปรดคัดลอกลิงก์ทั้งหมดจากอีเมล หรือส่งคำขออีกครั้ง',
  'verify.codeWrong.title': 'รหัสไม่ถูกต้อง',
  'verify.codeWrong.body': 'โปรดตรวจสอบรหัส 6 หลักในอีเมลแล้วลองอีกครั้ง {attemptsLeft, plural, other {คุณลองได้อีก # ครั้ง}}',
  'verify.tooManyAttempts.title': 'ลองหลายครั้งเกินไป',
  'verify.tooManyAttempts.body': 'เพื่อปกป้องข้อมูลของคุณ คำขอนี้จะไม่รับรหัสอีกต่อไป โปรดส่งคำขอใหม่',

  'error.notFound.title': 'ไม่พบหน้านี้',
  'error.notFound.body': 'ที่อยู่อาจพิมพ์ผิด หรือคำขอนี้ไม่มีให้ดูแล้ว',
  'error.generic.title': 'เกิดข้อผิดพลาด',
  'error.generic.body': 'เกิดข้อผิดพลาดที่ระบบของเรา โปรดลองอีกครั้งในอีกสักครู่',

  'status.title': 'คำขอเกี่ยวกับข้อมูลส่วนบุคคลของคุณ',
  'status.type': 'คำขอ',
  'status.receivedOn': 'ได้รับเมื่อวันที่ {date}',
  'status.deadline': 'เราจะตอบกลับภายในวันที่ {date}',
  'status.current': 'สถานะ',
  'status.state.awaiting-verification': 'รอให้คุณยืนยันอีเมล',
  'status.state.verified': 'ยืนยันแล้ว เราจะเริ่มดำเนินการในไม่ช้า',
  'status.state.suppressed': 'เราหยุดส่งข้อความทางการตลาดถึงคุณระหว่างที่ดำเนินการตามคำขอ',
  'status.state.cooling-off': 'อยู่ในช่วงรอ คุณยังเปลี่ยนใจได้',
  'status.state.in-progress': 'กำลังดำเนินการ',
  'status.state.waiting-on-vendor': 'กำลังรอผู้ให้บริการรายหนึ่งของเรา',
  'status.state.completed': 'เสร็จสมบูรณ์',
  'status.state.cancelled': 'ยกเลิกแล้ว',
  'status.state.rejected': 'เราไม่สามารถดำเนินการตามคำขอนี้ได้',
  'status.state.duplicate': 'รวมอยู่ในคำขออื่นของคุณแล้ว',
  'status.coolingOff.cancelUntil': 'คุณยกเลิกคำขอนี้ได้จนถึงวันที่ {date}',
  'status.cancel': 'ยกเลิกคำขอนี้',
  'status.systems.title': 'ความคืบหน้าในระบบของเรา',
  'status.systems.system': 'ระบบ',
  'status.systems.status': 'สถานะ',
  'status.systems.none': 'เรายังไม่ได้เริ่มดำเนินการในระบบต่าง ๆ',
  'system.status.pending': 'รอดำเนินการ',
  'system.status.in-progress': 'กำลังดำเนินการ',
  'system.status.retrying': 'กำลังลองใหม่',
  'system.status.waiting-on-vendor': 'รอผู้ให้บริการ',
  'system.status.done': 'เสร็จแล้ว',
  'system.status.nothing-held': 'ไม่มีข้อมูล',
  'system.status.failed': 'ไม่สำเร็จ',
  'system.status.waiting-on-operator': 'รอเจ้าหน้าที่',
  'status.certificate.title': 'หนังสือรับรองการดำเนินการ',
  'status.certificate.summary':
    'เราตรวจสอบข้อมูลของคุณใน {total, plural, other {# ระบบ}} โดย {done, number} ระบบดำเนินการตามคำขอของคุณเรียบร้อยแล้ว และ {nothingHeld, number} ระบบไม่มีข้อมูลของคุณ',
  'status.certificate.link': 'ดาวน์โหลดหนังสือรับรอง',
  'status.export.link': 'ดาวน์โหลดข้อมูลของคุณ',
  'status.export.expires': 'ลิงก์ดาวน์โหลดนี้ใช้ได้ถึงวันที่ {date}',

  'prefs.title': 'ตัวเลือกความเป็นส่วนตัวของคุณ',
  'prefs.intro':
    'เลือกว่าเราจะใช้ข้อมูลของคุณได้อย่างไร ตัวเลือกของคุณมีผลกับทุกระบบของเรา การเปลี่ยนแปลงอาจใช้เวลาสักครู่กว่าจะไปถึงทุกระบบ',
  'prefs.purpose.emailMarketing': 'อีเมลการตลาด',
  'prefs.purpose.emailMarketing.help': 'ข่าวสาร ข้อเสนอ และคำแนะนำทางอีเมล',
  'prefs.purpose.smsMarketing': 'SMS การตลาด',
  'prefs.purpose.smsMarketing.help': 'ข้อเสนอและการแจ้งเตือนทาง SMS',
  'prefs.purpose.push': 'การแจ้งเตือนแบบพุช',
  'prefs.purpose.push.help': 'การแจ้งเตือนจากแอปของเราบนโทรศัพท์หรือเบราว์เซอร์ของคุณ',
  'prefs.purpose.personalisedAds': 'โฆษณาที่ปรับให้เหมาะกับคุณ',
  'prefs.purpose.personalisedAds.help': 'โฆษณาบนเว็บไซต์และแอปอื่น ๆ ตามการใช้งานของคุณกับเรา',
  'prefs.purpose.analytics': 'การวิเคราะห์การใช้งาน',
  'prefs.purpose.analytics.help': 'การวัดการใช้งานเว็บไซต์และแอปของเราเพื่อนำไปปรับปรุง',
  'prefs.purpose.saleSharing': 'การขายหรือแบ่งปันข้อมูล',
  'prefs.purpose.saleSharing.help': 'การแบ่งปันข้อมูลของคุณกับพาร์ทเนอร์เพื่อวัตถุประสงค์ของพาร์ทเนอร์เอง รวมถึงโฆษณาแบบกำหนดเป้าหมาย',
  'prefs.purpose.crossBorderTransfer': 'การโอนข้อมูลไปต่างประเทศ',
  'prefs.purpose.crossBorderTransfer.help': 'การประมวลผลข้อมูลของคุณในประเทศอื่น เช่น โดยผู้ให้บริการของเรา',
  'prefs.granted': 'อนุญาต',
  'prefs.denied': 'ไม่อนุญาต',
  'prefs.basis.explicit': 'คุณเลือกเอง',
  'prefs.basis.default': 'ค่าเริ่มต้นในพื้นที่ของคุณ',
  'prefs.submit': 'บันทึกตัวเลือก',
  'prefs.propagation.title': 'การนำการเปลี่ยนแปลงล่าสุดไปใช้',
  'prefs.propagation.intro': 'สถานะในแต่ละระบบ:',

  'email.greeting': 'สวัสดี',
  'email.footer':
    'หมายเลขคำขอ: {requestId} อีเมลนี้ส่งโดยอัตโนมัติเกี่ยวกับคำขอด้านข้อมูลส่วนบุคคลของคุณ เราจะไม่ได้อ่านอีเมลที่ตอบกลับมา',
  'email.statusLink': 'คุณติดตามความคืบหน้าได้ที่นี่:',
  'email.requestType': 'คำขอ: {typeName}',
  'email.verification.subject': 'โปรดยืนยันคำขอเกี่ยวกับข้อมูลส่วนบุคคลของคุณ',
  'email.verification.intro': 'เราได้รับคำขอเกี่ยวกับข้อมูลส่วนบุคคลสำหรับอีเมลนี้ เพื่อยืนยันว่าเป็นคุณ โปรดกรอกรหัสนี้ในหน้าที่คุณส่งคำขอ:',
  'email.verification.link': 'หรือยืนยันโดยเปิดลิงก์นี้:',
  'email.verification.expiry': 'รหัสและลิงก์จะหมดอายุใน {minutes, plural, other {# นาที}}',
  'email.verification.ignore': 'หากคุณไม่ได้ส่งคำขอนี้ ไม่ต้องสนใจอีเมลนี้ จะไม่มีการเปลี่ยนแปลงใด ๆ',
  'email.received.subject': 'เรากำลังดำเนินการตามคำขอของคุณ',
  'email.received.body': 'ขอบคุณที่ยืนยันคำขอเกี่ยวกับข้อมูลส่วนบุคคลของคุณ เราได้เริ่มดำเนินการแล้ว',
  'email.completed.subject': 'คำขอเกี่ยวกับข้อมูลส่วนบุคคลของคุณเสร็จสมบูรณ์แล้ว',
  'email.completed.intro':
    '{type, select, access {สำเนาข้อมูลของคุณพร้อมแล้ว} deletion {เราได้ลบข้อมูลส่วนบุคคลของคุณออกจากระบบของเราแล้ว ยกเว้นข้อมูลที่กฎหมายกำหนดให้ต้องเก็บไว้} correction {เราได้แก้ไขข้อมูลของคุณแล้ว} optOut {เราไม่ขายหรือแบ่งปันข้อมูลของคุณ และไม่ใช้ข้อมูลเพื่อโฆษณาแบบกำหนดเป้าหมายอีกต่อไป} restriction {เราได้จำกัดการใช้ข้อมูลของคุณแล้ว} other {เราได้ดำเนินการตามคำขอของคุณเรียบร้อยแล้ว}}',
  'email.completed.certificate': 'หนังสือรับรองการดำเนินการระบุสิ่งที่เราทำในแต่ละระบบ:',
  'email.completed.export': 'ดาวน์โหลดข้อมูลของคุณได้ที่นี่:',
  'email.completed.exportExpiry': 'ลิงก์นี้ใช้ได้ถึงวันที่ {date} หลังจากนั้นคุณสามารถขอสำเนาใหม่ได้',
  'email.cancelled.subject': 'คำขอเกี่ยวกับข้อมูลส่วนบุคคลของคุณถูกยกเลิกแล้ว',
  'email.cancelled.body': 'คำขอเกี่ยวกับข้อมูลส่วนบุคคลของคุณถูกยกเลิกแล้ว และเราไม่ได้เปลี่ยนแปลงข้อมูลใด ๆ ของคุณ คุณส่งคำขอใหม่ได้ทุกเมื่อ',
};

const ar: Catalogue = {
  'portal.name': 'مركز الخصوصية',
  'portal.language': 'اللغة',
  'portal.startOver': 'تقديم طلب جديد',

  'form.title': 'تقديم طلب بشأن بياناتك الشخصية',
  'form.intro':
    'يمكنك أن تطلب منا الاطلاع على بياناتك الشخصية التي نحتفظ بها أو حذفها أو تصحيحها، أو تقييد استخدامها. وقبل أن نتخذ أي إجراء، سنرسل إليك رمزًا عبر البريد الإلكتروني للتأكد من أنك صاحب الطلب.',
  'form.typeLegend': 'ماذا تريد منا أن نفعل؟',
  'request.type.access': 'الحصول على نسخة من بياناتي',
  'request.type.access.help': 'نرسل إليك نسخة من البيانات الشخصية التي نحتفظ بها عنك.',
  'request.type.deletion': 'حذف بياناتي',
  'request.type.deletion.help': 'نحذف بياناتك الشخصية من جميع أنظمتنا، باستثناء ما يُلزمنا القانون بالاحتفاظ به.',
  'request.type.correction': 'تصحيح بياناتي',
  'request.type.correction.help': 'نصحّح بياناتك غير الصحيحة أو غير المكتملة.',
  'request.type.optOut': 'عدم بيع بياناتي أو مشاركتها',
  'request.type.optOut.help': 'نتوقف عن بيع بياناتك أو مشاركتها وعن استخدامها في الإعلانات الموجّهة.',
  'request.type.restriction': 'تقييد استخدام بياناتي',
  'request.type.restriction.help': 'نحتفظ ببياناتك، لكننا لا نستخدمها إلا في الحدود التي يسمح بها القانون.',
  'form.email': 'البريد الإلكتروني',
  'form.email.help': 'سنرسل رمز التأكيد إلى هذا العنوان.',
  'form.country': 'بلد الإقامة أو منطقتها',
  'form.country.choose': 'اختر بلدًا أو منطقة',
  'form.usState': 'الولاية (في الولايات المتحدة فقط)',
  'form.usState.none': 'خارج الولايات المتحدة',
  'form.details': 'ما الذي يجب أن نصحّحه؟',
  'form.details.help': 'لطلبات التصحيح فقط: أخبرنا بالمعلومات غير الصحيحة وبما يجب أن تكون عليه.',
  'form.submit': 'إرسال الطلب',
  'form.error.title': 'يُرجى مراجعة النموذج',
  'form.error.type': 'اختر ما تريد منا أن نفعله.',
  'form.error.email': 'أدخل عنوان بريد إلكتروني بالصيغة name@example.com.',
  'form.error.country': 'اختر بلد إقامتك أو منطقتها.',
  'form.error.usState': 'اختر ولايتك من القائمة.',
  'form.error.details': 'أخبرنا بما يجب أن نصحّحه.',
  'form.error.session': 'ظلت هذه الصفحة مفتوحة مدة طويلة. يُرجى إرسال النموذج مرة أخرى.',

  'checkEmail.title': 'تحقّق من بريدك الإلكتروني',
  'checkEmail.body':
    'أرسلنا رسالة إلى عنوان البريد الإلكتروني الذي قدّمته، وهي تحتوي على رمز من 6 أرقام ورابط. أدخل الرمز أدناه أو افتح الرابط لتأكيد طلبك.',
  'checkEmail.code': 'رمز التأكيد',
  'checkEmail.code.help': 'الأرقام الستة الواردة في الرسالة',
  'checkEmail.submit': 'تأكيد',
  'checkEmail.notReceived':
    'لم تصلك الرسالة؟ قد يستغرق وصولها بضع دقائق. تحقّق من مجلد الرسائل غير المرغوب فيها، أو قدّم طلبًا جديدًا بالعنوان الصحيح.',
  'request.reference': 'رقم الطلب: {requestId}',

  'verify.expired.title': 'انتهت صلاحية هذا الرابط',
  'verify.expired.body':
    'حفاظًا على أمانك، لا تصلح رموز التأكيد وروابطه إلا لمدة قصيرة. يُرجى تقديم طلبك مرة أخرى وسنرسل إليك رمزًا جديدًا.',
  'verify.invalid.title': 'هذا الرابط لا يعمل',
  'verify.invalid.body': 'ربما يكون الرابط ناقصًا أو استُخدم من قبل. انسخ الرابط كاملًا من الرسالة، أو قدّم طلبك مرة أخرى.',
  'verify.codeWrong.title': 'الرمز غير صحيح',
  'verify.codeWrong.body':
    'تحقّق من الرمز المكوّن من 6 أرقام في الرسالة وحاول مرة أخرى. {attemptsLeft, plural, zero {لم تتبقَّ لديك أي محاولة.} one {تبقّت لديك محاولة واحدة.} two {تبقّت لديك محاولتان.} few {تبقّت لديك # محاولات.} many {تبقّت لديك # محاولة.} other {تبقّت لديك # محاولة.}}',
  'verify.tooManyAttempts.title': 'محاولات كثيرة جدًا',
  'verify.tooManyAttempts.body': 'لحماية بياناتك، لم يعد هذا الطلب يقبل أي رموز. يُرجى تقديم طلب جديد.',

  'error.notFound.title': 'لم نعثر على هذه الصفحة',
  'error.notFound.body': 'ربما كُتب العنوان بشكل خاطئ، أو لم يعد الطلب متاحًا.',
  'error.generic.title': 'حدث خطأ ما',
  'error.generic.body': 'حدث خطأ من جهتنا. يُرجى المحاولة مرة أخرى بعد بضع دقائق.',

  'status.title': 'طلبك بشأن بياناتك الشخصية',
  'status.type': 'الطلب',
  'status.receivedOn': 'تاريخ الاستلام: {date}',
  'status.deadline': 'سنرد عليك في موعد أقصاه {date}.',
  'status.current': 'الحالة',
  'status.state.awaiting-verification': 'بانتظار تأكيد عنوان بريدك الإلكتروني',
  'status.state.verified': 'تم التأكيد، وسنبدأ العمل قريبًا',
  'status.state.suppressed': 'أوقفنا جميع الرسائل التسويقية إليك أثناء معالجة طلبك',
  'status.state.cooling-off': 'فترة انتظار: لا يزال بإمكانك العدول عن الطلب',
  'status.state.in-progress': 'قيد المعالجة',
  'status.state.waiting-on-vendor': 'بانتظار أحد مزوّدي الخدمة لدينا',
  'status.state.completed': 'مكتمل',
  'status.state.cancelled': 'ملغى',
  'status.state.rejected': 'تعذّر علينا تنفيذ هذا الطلب',
  'status.state.duplicate': 'مشمول بالفعل في طلب آخر قدّمته',
  'status.coolingOff.cancelUntil': 'يمكنك إلغاء هذا الطلب حتى {date}.',
  'status.cancel': 'إلغاء هذا الطلب',
  'status.systems.title': 'التقدّم في أنظمتنا',
  'status.systems.system': 'النظام',
  'status.systems.status': 'الحالة',
  'status.systems.none': 'لم يبدأ العمل في أنظمتنا بعد.',
  'system.status.pending': 'قيد الانتظار',
  'system.status.in-progress': 'قيد التنفيذ',
  'system.status.retrying': 'جارٍ إعادة المحاولة',
  'system.status.waiting-on-vendor': 'بانتظار مزوّد الخدمة',
  'system.status.done': 'تم',
  'system.status.nothing-held': 'لا توجد بيانات',
  'system.status.failed': 'تعذّر التنفيذ',
  'system.status.waiting-on-operator': 'بانتظار فريقنا',
  'status.certificate.title': 'شهادة إتمام',
  'status.certificate.summary':
    'بحثنا عن بياناتك في أنظمتنا. عدد الأنظمة التي فحصناها: {total, number}. الأنظمة التي نفّذت طلبك: {done, number}. الأنظمة التي لم تكن لديها أي بيانات عنك: {nothingHeld, number}.',
  'status.certificate.link': 'تنزيل الشهادة',
  'status.export.link': 'تنزيل بياناتك',
  'status.export.expires': 'يظل رابط التنزيل هذا صالحًا حتى {date}.',

  'prefs.title': 'خيارات الخصوصية',
  'prefs.intro':
    'اختر كيف يمكننا استخدام بياناتك. تسري خياراتك على جميع أنظمتنا، وقد يستغرق وصول أي تغيير إلى كل نظام بضع دقائق.',
  'prefs.purpose.emailMarketing': 'الرسائل التسويقية عبر البريد الإلكتروني',
  'prefs.purpose.emailMarketing.help': 'الأخبار والعروض والتوصيات عبر البريد الإلكتروني.',
  'prefs.purpose.smsMarketing': 'الرسائل النصية التسويقية',
  'prefs.purpose.smsMarketing.help': 'العروض والتذكيرات عبر الرسائل النصية القصيرة.',
  'prefs.purpose.push': 'الإشعارات الفورية',
  'prefs.purpose.push.help': 'إشعارات من تطبيقنا على هاتفك أو في متصفحك.',
  'prefs.purpose.personalisedAds': 'الإعلانات المخصّصة',
  'prefs.purpose.personalisedAds.help': 'إعلانات على مواقع وتطبيقات أخرى بناءً على نشاطك لدينا.',
  'prefs.purpose.analytics': 'تحليلات الاستخدام',
  'prefs.purpose.analytics.help': 'قياس طريقة استخدام موقعنا وتطبيقاتنا لتحسينها.',
  'prefs.purpose.saleSharing': 'بيع البيانات أو مشاركتها',
  'prefs.purpose.saleSharing.help': 'مشاركة بياناتك مع شركاء لأغراضهم الخاصة، بما في ذلك الإعلانات الموجّهة.',
  'prefs.purpose.crossBorderTransfer': 'النقل إلى خارج البلد',
  'prefs.purpose.crossBorderTransfer.help': 'معالجة بياناتك في بلد آخر، مثلًا لدى مزوّدي الخدمة لدينا.',
  'prefs.granted': 'مسموح',
  'prefs.denied': 'غير مسموح',
  'prefs.basis.explicit': 'اختيارك',
  'prefs.basis.default': 'الإعداد الافتراضي في منطقتك',
  'prefs.submit': 'حفظ خياراتي',
  'prefs.propagation.title': 'تطبيق آخر تغيير أجريته',
  'prefs.propagation.intro': 'حالة التطبيق في كل نظام:',

  'email.greeting': 'مرحبًا،',
  'email.footer': 'رقم الطلب: {requestId}. هذه رسالة تلقائية بشأن طلبك المتعلق ببياناتك الشخصية، ولا تُقرأ الردود عليها.',
  'email.statusLink': 'يمكنك متابعة التقدّم من هنا:',
  'email.requestType': 'الطلب: {typeName}',
  'email.verification.subject': 'أكّد طلبك بشأن بياناتك الشخصية',
  'email.verification.intro': 'تلقّينا طلبًا بشأن البيانات الشخصية لعنوان البريد الإلكتروني هذا. للتأكد من أنك صاحب الطلب، أدخل هذا الرمز في الصفحة التي قدّمت منها الطلب:',
  'email.verification.link': 'أو أكّد الطلب بفتح هذا الرابط:',
  'email.verification.expiry':
    'تنتهي صلاحية الرمز والرابط بعد {minutes, plural, zero {# دقيقة} one {دقيقة واحدة} two {دقيقتين} few {# دقائق} many {# دقيقة} other {# دقيقة}}.',
  'email.verification.ignore': 'إذا لم تقدّم هذا الطلب، فتجاهل هذه الرسالة، ولن يتغيّر شيء.',
  'email.received.subject': 'نعمل على طلبك بشأن بياناتك الشخصية',
  'email.received.body': 'شكرًا لتأكيد طلبك بشأن بياناتك الشخصية. لقد بدأنا العمل عليه.',
  'email.completed.subject': 'اكتمل طلبك بشأن بياناتك الشخصية',
  'email.completed.intro':
    '{type, select, access {نسخة بياناتك جاهزة.} deletion {حذفنا بياناتك الشخصية من أنظمتنا، باستثناء ما يُلزمنا القانون بالاحتفاظ به.} correction {صحّحنا بياناتك.} optOut {لم نعد نبيع بياناتك أو نشاركها أو نستخدمها في الإعلانات الموجّهة.} restriction {قيّدنا استخدام بياناتك.} other {أكملنا طلبك.}}',
  'email.completed.certificate': 'توضّح شهادة الإتمام ما قمنا به في كل نظام:',
  'email.completed.export': 'نزّل بياناتك من هنا:',
  'email.completed.exportExpiry': 'يظل هذا الرابط صالحًا حتى {date}. وبعد ذلك، يمكنك طلب نسخة جديدة.',
  'email.cancelled.subject': 'أُلغي طلبك بشأن بياناتك الشخصية',
  'email.cancelled.body': 'أُلغي طلبك بشأن بياناتك الشخصية، ولم نُجرِ أي تغيير على بياناتك. يمكنك تقديم طلب جديد في أي وقت.',
};

export const MESSAGES: Record<Locale, Catalogue> = {
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

export const MESSAGE_KEYS = Object.keys(en) as MessageKey[];

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

export type MessageValues = Record<string, string | number>;

const formatters = new Map<string, IntlMessageFormat>();

function formatterFor(locale: Locale, key: MessageKey): IntlMessageFormat {
  const cacheKey = `${locale}\u0000${key}`;
  let formatter = formatters.get(cacheKey);
  if (!formatter) {
    const source = MESSAGES[locale][key];
    if (source === undefined) throw new Error(`no message "${key}" in the ${locale} catalogue: add it to domain/privacy-messages.ts`);
    // Tags are not part of our messages; with ignoreTag a "<" in a translation is plain text.
    formatter = new IntlMessageFormat(source, locale, undefined, { ignoreTag: true });
    formatters.set(cacheKey, formatter);
  }
  return formatter;
}

/** The message `key` in `locale`, as plain text (callers escape it for HTML). */
export function t(locale: Locale, key: MessageKey, values?: MessageValues): string {
  const formatter = formatterFor(locale, key);
  let result: unknown;
  try {
    result = formatter.format(values);
  } catch (error) {
    throw new Error(`message "${key}" (${locale}) could not be rendered: ${(error as Error).message}`);
  }
  if (typeof result !== 'string') throw new Error(`message "${key}" (${locale}) did not render to text`);
  return result;
}

/**
 * The arguments a message takes, by kind: `plural`/`number` need a number, `select` one of its
 * options, `text` any string. Used to check that every translation asks for what English asks for.
 */
export function messageArguments(locale: Locale, key: MessageKey): Record<string, 'text' | 'number' | 'plural' | 'select' | 'date'> {
  const found: Record<string, 'text' | 'number' | 'plural' | 'select' | 'date'> = {};
  // Element types of @formatjs/icu-messageformat-parser: 1 argument, 2 number, 3 date, 4 time, 5 select, 6 plural.
  const kinds: Record<number, 'text' | 'number' | 'plural' | 'select' | 'date'> = { 1: 'text', 2: 'number', 3: 'date', 4: 'date', 5: 'select', 6: 'plural' };
  type Element = { type: number; value?: unknown; options?: Record<string, { value: Element[] }>; children?: Element[] };
  const walk = (elements: Element[]) => {
    for (const element of elements) {
      const kind = kinds[element.type];
      if (kind && typeof element.value === 'string') found[element.value] = found[element.value] === 'plural' ? 'plural' : kind;
      for (const option of Object.values(element.options ?? {})) walk(option.value);
      if (element.children) walk(element.children);
    }
  };
  walk(formatterFor(locale, key).getAst() as unknown as Element[]);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function toInstant(value: string | Date, what: string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`${what} "${String(value)}" is not a date: give YYYY-MM-DD or an ISO 8601 instant`);
  return date;
}

/**
 * A day in the reader's words: "9 April 2025", "2025年4月9日", "9 เมษายน 2568". A YYYY-MM-DD value is a
 * calendar date and is shown as is; an instant is shown as its date in `timeZone`.
 */
export function formatDate(locale: Locale, value: string | Date, timeZone = 'UTC'): string {
  const local = typeof value === 'string' ? LOCAL_DATE.exec(value) : null;
  if (local) {
    const [, y, m, d] = local;
    const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
    if (day.getUTCMonth() !== Number(m) - 1) throw new Error(`"${String(value)}" is not a calendar date`);
    return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(day);
  }
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone }).format(toInstant(value, 'date'));
}

/** An instant with its time and zone in the reader's words, for deadlines that end at a moment (cooling-off, link expiry). */
export function formatDateTime(locale: Locale, value: string | Date, timeZone = 'UTC'): string {
  if (typeof value === 'string' && LOCAL_DATE.test(value)) return formatDate(locale, value);
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
    timeZone,
  }).format(toInstant(value, 'time'));
}

// ---------------------------------------------------------------------------------------------
// Typed keys for the vocabulary
// ---------------------------------------------------------------------------------------------

export function requestTypeKey(type: RequestType): MessageKey {
  return `request.type.${type}`;
}

export function requestStatusKey(status: RequestStatus): MessageKey {
  return `status.state.${status}`;
}

export function systemStatusKey(status: SystemStatus): MessageKey {
  return `system.status.${status}`;
}

export function purposeKey(purpose: Purpose, part: 'label' | 'help' = 'label'): MessageKey {
  return part === 'label' ? `prefs.purpose.${purpose}` : `prefs.purpose.${purpose}.help`;
}
