import type { PrivacyCatalogue } from './en';

/** The privacy portal and its emails in French: the keys and ICU arguments of en.ts, translated. */
export const fr = {
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
  'request.type.optOut.help':
    'Nous cessons de vendre ou de partager vos données et de les utiliser pour de la publicité ciblée.',
  'request.type.restriction': 'Limiter l’utilisation de mes données',
  'request.type.restriction.help':
    'Nous conservons vos données, mais ne les utilisons plus que dans la mesure où la loi le permet.',
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
  'system.status.not-supported': 'Impossible dans ce système',
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
  'prefs.purpose.personalisedAds.help':
    'Publicités sur d’autres sites et applications, selon votre utilisation de nos services.',
  'prefs.purpose.analytics': 'Mesure d’audience',
  'prefs.purpose.analytics.help': 'Mesurer l’utilisation de notre site et de nos applications pour les améliorer.',
  'prefs.purpose.saleSharing': 'Vente ou partage de données',
  'prefs.purpose.saleSharing.help':
    'Partage de vos données avec des partenaires pour leurs propres finalités, y compris la publicité ciblée.',
  'prefs.purpose.crossBorderTransfer': 'Transferts à l’étranger',
  'prefs.purpose.crossBorderTransfer.help':
    'Traitement de vos données dans un autre pays, par exemple par nos prestataires.',
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
  'email.verification.intro':
    'Nous avons reçu une demande concernant les données personnelles liées à cette adresse e-mail. Pour confirmer qu’elle vient bien de vous, saisissez ce code sur la page où vous avez fait la demande\u00a0:',
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
  'email.completed.exportExpiry':
    'Ce lien est valable jusqu’au {date}. Ensuite, vous pourrez demander une nouvelle copie.',
  'email.cancelled.subject': 'Votre demande a été annulée',
  'email.cancelled.body':
    'Votre demande a été annulée et nous n’avons modifié aucune de vos données. Vous pouvez faire une nouvelle demande à tout moment.',

  'verify.confirm.title': 'Confirmez votre demande',
  'verify.confirm.body':
    'Pour confirmer que c’est bien vous qui avez fait cette demande, appuyez sur le bouton ci-dessous. Si vous ne l’avez pas faite, fermez cette page\u00a0: rien ne se passera.',
  'verify.confirm.submit': 'Confirmer ma demande',
  'verify.alreadyConfirmed.title': 'Cette demande est déjà confirmée',
  'verify.alreadyConfirmed.body':
    'Suivez-la avec le lien de notre e-mail. Si vous ne l’avez plus, nous pouvons vous envoyer un nouveau lien.',
  'status.linkExpired.title': 'Ce lien de suivi a expiré',
  'status.linkExpired.body':
    'Pour votre sécurité, les liens vers une demande ne fonctionnent que pendant une durée limitée. Nous pouvons envoyer un nouveau lien à l’adresse e-mail avec laquelle la demande a été faite.',
  'status.newLink.submit': 'M’envoyer un nouveau lien',
  'status.newLink.sent':
    'Si nous disposons encore de l’adresse e-mail de cette demande, nous y avons envoyé un nouveau lien. Il peut mettre quelques minutes à arriver.',
  'email.statusLink.subject': 'Un nouveau lien vers votre demande',
  'email.statusLink.body':
    'Vous avez demandé un nouveau lien pour suivre votre demande. Il est valable jusqu’au {date}.',
  'error.mailUnavailable.title': 'Nous ne pouvons pas envoyer d’e-mails pour le moment',
  'error.mailUnavailable.body':
    'Notre service d’e-mail n’a pas répondu\u00a0: nous n’avons pas pu vous envoyer de message. Veuillez réessayer dans quelques minutes.',
} satisfies PrivacyCatalogue;
