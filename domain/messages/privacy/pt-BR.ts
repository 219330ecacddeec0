import type { PrivacyCatalogue } from './en';

/** The privacy portal and its emails in Brazilian Portuguese: the keys and ICU arguments of en.ts, translated. */
export const ptBR = {
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
  'request.type.deletion.help':
    'Excluímos seus dados pessoais de todos os nossos sistemas, exceto o que a lei nos obriga a manter.',
  'request.type.correction': 'Corrigir meus dados',
  'request.type.correction.help': 'Corrigimos dados sobre você que estejam errados ou incompletos.',
  'request.type.optOut': 'Não vender nem compartilhar meus dados',
  'request.type.optOut.help':
    'Deixamos de vender ou compartilhar seus dados e de usá-los para publicidade direcionada.',
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
  'verify.tooManyAttempts.body':
    'Para proteger seus dados, esta solicitação não aceita mais códigos. Faça uma nova solicitação.',

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
  'system.status.not-supported': 'Não é possível neste sistema',
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
  'prefs.purpose.saleSharing.help':
    'Compartilhar seus dados com parceiros para os fins deles, incluindo publicidade direcionada.',
  'prefs.purpose.crossBorderTransfer': 'Transferência internacional',
  'prefs.purpose.crossBorderTransfer.help':
    'Tratamento dos seus dados em outro país, por exemplo pelos nossos fornecedores.',
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
  'email.verification.intro':
    'Recebemos uma solicitação de privacidade para este e-mail. Para confirmar que foi você, digite este código na página onde fez a solicitação:',
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
  'email.cancelled.body':
    'Sua solicitação de privacidade foi cancelada e não alteramos nenhum dos seus dados. Você pode fazer uma nova solicitação quando quiser.',

  'verify.confirm.title': 'Confirme sua solicitação de privacidade',
  'verify.confirm.body':
    'Para confirmar que foi você quem fez esta solicitação, clique no botão abaixo. Se não foi você, feche esta página: nada vai acontecer.',
  'verify.confirm.submit': 'Confirmar minha solicitação',
  'verify.alreadyConfirmed.title': 'Esta solicitação já foi confirmada',
  'verify.alreadyConfirmed.body':
    'Acompanhe pelo link do nosso e-mail. Se você não tiver mais esse link, podemos enviar um novo por e-mail.',
  'status.linkExpired.title': 'Este link de acompanhamento expirou',
  'status.linkExpired.body':
    'Para sua segurança, os links para uma solicitação funcionam só por um tempo limitado. Podemos enviar um novo link para o e-mail com que a solicitação foi feita.',
  'status.newLink.submit': 'Enviar um novo link por e-mail',
  'status.newLink.sent':
    'Se ainda tivermos o e-mail usado nesta solicitação, enviamos um novo link para ele. Pode levar alguns minutos para chegar.',
  'email.statusLink.subject': 'Um novo link para sua solicitação de privacidade',
  'email.statusLink.body':
    'Você pediu um novo link para acompanhar sua solicitação de privacidade. Ele vale até {date}.',
  'error.mailUnavailable.title': 'No momento não conseguimos enviar e-mails',
  'error.mailUnavailable.body':
    'Nosso serviço de e-mail não respondeu, por isso não conseguimos enviar sua mensagem. Tente novamente em alguns minutos.',
} satisfies PrivacyCatalogue;
