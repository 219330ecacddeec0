/**
 * The reference catalogue of the privacy portal and its emails, in English: ICU MessageFormat strings
 * rendered with intl-messageformat. Its keys are the keys every other locale must have (each one
 * `satisfies PrivacyCatalogue`), and its arguments the arguments each translation must take.
 */
export const en = {
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
  'request.type.deletion.help':
    'We delete your personal data from all our systems, except what the law requires us to keep.',
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
  'verify.tooManyAttempts.body':
    'To protect your data, this request no longer accepts codes. Please make a new request.',

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
  'system.status.not-supported': 'Not possible in this system',
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
  'prefs.purpose.saleSharing.help':
    'Sharing your data with partners for their own purposes, including targeted advertising.',
  'prefs.purpose.crossBorderTransfer': 'Transfers abroad',
  'prefs.purpose.crossBorderTransfer.help':
    'Processing your data in another country, for example by our service providers.',
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
  'email.verification.intro':
    'We received a privacy request for this email address. To confirm that it was you, enter this code on the page where you made the request:',
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
  'email.cancelled.body':
    'Your privacy request has been cancelled, and we have made no changes to your data. You can make a new request at any time.',

  'verify.confirm.title': 'Confirm your privacy request',
  'verify.confirm.body':
    'To confirm that you made this request, press the button below. If you did not make it, close this page: nothing will happen.',
  'verify.confirm.submit': 'Confirm my request',
  'verify.alreadyConfirmed.title': 'This request is already confirmed',
  'verify.alreadyConfirmed.body':
    'Follow it with the link in our email. If you no longer have that link, we can email you a new one.',
  'status.linkExpired.title': 'This status link has expired',
  'status.linkExpired.body':
    'For your security, links to a request work only for a limited time. We can email a new link to the address the request was made with.',
  'status.newLink.submit': 'Email me a new link',
  'status.newLink.sent':
    'If we still hold the email address this request was made with, we have sent a new link to it. It can take a few minutes to arrive.',
  'email.statusLink.subject': 'A new link to your privacy request',
  'email.statusLink.body': 'You asked for a new link to follow your privacy request. It works until {date}.',
  'error.mailUnavailable.title': 'We cannot send emails right now',
  'error.mailUnavailable.body':
    'Our email service did not answer, so we could not send you a message. Please try again in a few minutes.',
} as const;

export type PrivacyMessageKey = keyof typeof en;

/** What every translation of the privacy catalogue is: the English keys, each a message in its language. */
export type PrivacyCatalogue = { readonly [Key in PrivacyMessageKey]: string };
