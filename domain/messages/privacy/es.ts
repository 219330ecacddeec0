import type { PrivacyCatalogue } from './en';

/** The privacy portal and its emails in Spanish: the keys and ICU arguments of en.ts, translated. */
export const es = {
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
  'verify.tooManyAttempts.body':
    'Para proteger sus datos, esta solicitud ya no acepta códigos. Haga una nueva solicitud.',

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
  'system.status.not-supported': 'No es posible en este sistema',
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
  'prefs.purpose.saleSharing.help':
    'Compartir sus datos con socios para sus propios fines, incluida la publicidad dirigida.',
  'prefs.purpose.crossBorderTransfer': 'Transferencias internacionales',
  'prefs.purpose.crossBorderTransfer.help':
    'Tratamiento de sus datos en otro país, por ejemplo por nuestros proveedores.',
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
  'email.verification.intro':
    'Hemos recibido una solicitud de privacidad para esta dirección de correo. Para confirmar que la hizo usted, escriba este código en la página donde hizo la solicitud:',
  'email.verification.link': 'O confírmela abriendo este enlace:',
  'email.verification.expiry':
    'El código y el enlace caducan dentro de {minutes, plural, one {# minuto} other {# minutos}}.',
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
  'email.cancelled.body':
    'Su solicitud de privacidad se ha cancelado y no hemos modificado ninguno de sus datos. Puede hacer una nueva solicitud cuando quiera.',

  'verify.confirm.title': 'Confirme su solicitud de privacidad',
  'verify.confirm.body':
    'Para confirmar que usted hizo esta solicitud, pulse el botón de abajo. Si no la hizo, cierre esta página: no ocurrirá nada.',
  'verify.confirm.submit': 'Confirmar mi solicitud',
  'verify.alreadyConfirmed.title': 'Esta solicitud ya está confirmada',
  'verify.alreadyConfirmed.body':
    'Siga su avance con el enlace de nuestro correo. Si ya no lo tiene, podemos enviarle uno nuevo.',
  'status.linkExpired.title': 'Este enlace de seguimiento ha caducado',
  'status.linkExpired.body':
    'Por su seguridad, los enlaces a una solicitud solo funcionan durante un tiempo limitado. Podemos enviar un enlace nuevo a la dirección de correo con la que se hizo la solicitud.',
  'status.newLink.submit': 'Enviarme un enlace nuevo',
  'status.newLink.sent':
    'Si aún conservamos la dirección de correo de esta solicitud, le hemos enviado un enlace nuevo. Puede tardar unos minutos en llegar.',
  'email.statusLink.subject': 'Un enlace nuevo a su solicitud de privacidad',
  'email.statusLink.body':
    'Ha pedido un enlace nuevo para seguir su solicitud de privacidad. Es válido hasta el {date}.',
  'error.mailUnavailable.title': 'Ahora mismo no podemos enviar correos',
  'error.mailUnavailable.body':
    'Nuestro servicio de correo no ha respondido, así que no hemos podido enviarle ningún mensaje. Inténtelo de nuevo dentro de unos minutos.',
} satisfies PrivacyCatalogue;
