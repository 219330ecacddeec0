import type { PrivacyCatalogue } from './en';

/** The privacy portal and its emails in German: the keys and ICU arguments of en.ts, translated. */
export const de = {
  'portal.name': 'Datenschutzcenter',
  'portal.language': 'Sprache',
  'portal.startOver': 'Neue Anfrage stellen',

  'form.title': 'Datenschutzanfrage stellen',
  'form.intro':
    'Sie können uns bitten, Ihnen die über Sie gespeicherten personenbezogenen Daten zu zeigen, sie zu löschen oder zu berichtigen oder ihre Nutzung einzuschränken. Bevor wir etwas unternehmen, senden wir Ihnen einen Code per E-Mail, um zu bestätigen, dass Sie es wirklich sind.',
  'form.typeLegend': 'Was sollen wir für Sie tun?',
  'request.type.access': 'Kopie meiner Daten erhalten',
  'request.type.access.help':
    'Wir senden Ihnen eine Kopie der personenbezogenen Daten, die wir über Sie gespeichert haben.',
  'request.type.deletion': 'Meine Daten löschen',
  'request.type.deletion.help':
    'Wir löschen Ihre personenbezogenen Daten aus allen unseren Systemen – außer dem, was wir gesetzlich aufbewahren müssen.',
  'request.type.correction': 'Meine Daten berichtigen',
  'request.type.correction.help': 'Wir korrigieren falsche oder unvollständige Daten über Sie.',
  'request.type.optOut': 'Meine Daten nicht verkaufen oder weitergeben',
  'request.type.optOut.help':
    'Wir verkaufen Ihre Daten nicht mehr, geben sie nicht mehr weiter und nutzen sie nicht mehr für gezielte Werbung.',
  'request.type.restriction': 'Nutzung meiner Daten einschränken',
  'request.type.restriction.help':
    'Wir bewahren Ihre Daten auf, nutzen sie aber nur noch, soweit das Gesetz es erlaubt.',
  'form.email': 'E-Mail-Adresse',
  'form.email.help': 'An diese Adresse senden wir einen Bestätigungscode.',
  'form.country': 'Land oder Region Ihres Wohnsitzes',
  'form.country.choose': 'Land oder Region auswählen',
  'form.usState': 'Bundesstaat (nur in den USA)',
  'form.usState.none': 'Außerhalb der USA',
  'form.details': 'Was sollen wir berichtigen?',
  'form.details.help':
    'Nur bei einer Berichtigung: Teilen Sie uns mit, welche Angaben falsch sind und wie sie richtig lauten.',
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
  'error.notFound.body':
    'Die Adresse ist möglicherweise falsch geschrieben, oder die Anfrage ist nicht mehr verfügbar.',
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
  'system.status.not-supported': 'In diesem System nicht möglich',
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
  'prefs.purpose.personalisedAds.help':
    'Werbung auf anderen Websites und in anderen Apps, abgestimmt auf Ihre Nutzung unserer Angebote.',
  'prefs.purpose.analytics': 'Analyse',
  'prefs.purpose.analytics.help': 'Wir messen, wie unsere Website und Apps genutzt werden, um sie zu verbessern.',
  'prefs.purpose.saleSharing': 'Verkauf oder Weitergabe von Daten',
  'prefs.purpose.saleSharing.help':
    'Weitergabe Ihrer Daten an Partner für deren eigene Zwecke, auch für gezielte Werbung.',
  'prefs.purpose.crossBorderTransfer': 'Übermittlung ins Ausland',
  'prefs.purpose.crossBorderTransfer.help':
    'Verarbeitung Ihrer Daten in einem anderen Land, zum Beispiel durch unsere Dienstleister.',
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
  'email.verification.intro':
    'Für diese E-Mail-Adresse ist eine Datenschutzanfrage eingegangen. Um zu bestätigen, dass sie von Ihnen stammt, geben Sie diesen Code auf der Seite ein, auf der Sie die Anfrage gestellt haben:',
  'email.verification.link': 'Oder bestätigen Sie über diesen Link:',
  'email.verification.expiry': 'Code und Link sind {minutes, plural, one {# Minute} other {# Minuten}} lang gültig.',
  'email.verification.ignore':
    'Wenn Sie diese Anfrage nicht gestellt haben, können Sie diese E-Mail ignorieren. Es ändert sich nichts.',
  'email.received.subject': 'Wir bearbeiten Ihre Datenschutzanfrage',
  'email.received.body':
    'Vielen Dank, dass Sie Ihre Datenschutzanfrage bestätigt haben. Wir haben mit der Bearbeitung begonnen.',
  'email.completed.subject': 'Ihre Datenschutzanfrage ist abgeschlossen',
  'email.completed.intro':
    '{type, select, access {Die Kopie Ihrer Daten steht bereit.} deletion {Wir haben Ihre personenbezogenen Daten aus unseren Systemen gelöscht – außer dem, was wir gesetzlich aufbewahren müssen.} correction {Wir haben Ihre Daten berichtigt.} optOut {Wir verkaufen Ihre Daten nicht mehr, geben sie nicht mehr weiter und nutzen sie nicht mehr für gezielte Werbung.} restriction {Wir haben die Nutzung Ihrer Daten eingeschränkt.} other {Wir haben Ihre Anfrage abgeschlossen.}}',
  'email.completed.certificate': 'Ihre Abschlussbestätigung zeigt, was wir in jedem System getan haben:',
  'email.completed.export': 'Hier können Sie Ihre Daten herunterladen:',
  'email.completed.exportExpiry': 'Dieser Link ist bis zum {date} gültig. Danach können Sie eine neue Kopie anfordern.',
  'email.cancelled.subject': 'Ihre Datenschutzanfrage wurde storniert',
  'email.cancelled.body':
    'Ihre Datenschutzanfrage wurde storniert; an Ihren Daten haben wir nichts geändert. Sie können jederzeit eine neue Anfrage stellen.',

  'verify.confirm.title': 'Datenschutzanfrage bestätigen',
  'verify.confirm.body':
    'Um zu bestätigen, dass Sie diese Anfrage gestellt haben, klicken Sie auf die Schaltfläche unten. Wenn Sie sie nicht gestellt haben, schließen Sie diese Seite: Dann passiert nichts.',
  'verify.confirm.submit': 'Meine Anfrage bestätigen',
  'verify.alreadyConfirmed.title': 'Diese Anfrage ist bereits bestätigt',
  'verify.alreadyConfirmed.body':
    'Verfolgen Sie sie über den Link in unserer E-Mail. Wenn Sie diesen Link nicht mehr haben, senden wir Ihnen einen neuen.',
  'status.linkExpired.title': 'Dieser Statuslink ist abgelaufen',
  'status.linkExpired.body':
    'Zu Ihrer Sicherheit funktionieren Links zu einer Anfrage nur für begrenzte Zeit. Wir können einen neuen Link an die E-Mail-Adresse senden, mit der die Anfrage gestellt wurde.',
  'status.newLink.submit': 'Neuen Link per E-Mail senden',
  'status.newLink.sent':
    'Falls uns die E-Mail-Adresse dieser Anfrage noch vorliegt, haben wir einen neuen Link an sie gesendet. Es kann einige Minuten dauern, bis er ankommt.',
  'email.statusLink.subject': 'Ein neuer Link zu Ihrer Datenschutzanfrage',
  'email.statusLink.body':
    'Sie haben einen neuen Link angefordert, um Ihre Datenschutzanfrage zu verfolgen. Er ist bis zum {date} gültig.',
  'error.mailUnavailable.title': 'Wir können gerade keine E-Mails senden',
  'error.mailUnavailable.body':
    'Unser E-Mail-Dienst hat nicht geantwortet, daher konnten wir Ihnen keine Nachricht senden. Bitte versuchen Sie es in einigen Minuten erneut.',
} satisfies PrivacyCatalogue;
