import type { PrivacyCatalogue } from './en';

/** The privacy portal and its emails in Korean: the keys and ICU arguments of en.ts, translated. */
export const ko = {
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
  'request.type.deletion.help':
    '법에 따라 보관해야 하는 정보를 제외하고, 모든 시스템에서 고객님의 개인정보를 삭제합니다.',
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
  'form.details.help':
    '정정을 요청하는 경우에만 작성해 주세요. 어떤 정보가 잘못되었고 어떻게 고쳐야 하는지 알려 주세요.',
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
  'verify.invalid.body':
    '링크가 잘렸거나 이미 사용되었을 수 있습니다. 이메일에서 링크 전체를 복사하거나 다시 요청해 주세요.',
  'verify.codeWrong.title': '코드가 올바르지 않습니다',
  'verify.codeWrong.body':
    '이메일에 있는 6자리 코드를 확인하고 다시 입력해 주세요. {attemptsLeft, plural, other {앞으로 #번 더 시도할 수 있습니다.}}',
  'verify.tooManyAttempts.title': '시도 횟수를 초과했습니다',
  'verify.tooManyAttempts.body':
    '고객님의 정보를 보호하기 위해 이 요청에는 더 이상 코드를 입력할 수 없습니다. 새로 요청해 주세요.',

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
  'system.status.not-supported': '이 시스템에서는 처리할 수 없음',
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
  'prefs.purpose.saleSharing.help':
    '맞춤형 광고를 포함해 파트너사가 자체 목적으로 이용하도록 고객님의 정보를 공유합니다.',
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
  'email.verification.intro':
    '이 이메일 주소로 개인정보 요청이 접수되었습니다. 본인이 요청하신 것이 맞다면, 요청하신 페이지에서 다음 코드를 입력해 주세요:',
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
  'email.cancelled.body':
    '개인정보 요청이 취소되었으며, 고객님의 정보는 변경하지 않았습니다. 언제든지 새로 요청하실 수 있습니다.',

  'verify.confirm.title': '개인정보 요청 확인',
  'verify.confirm.body':
    '이 요청을 직접 보내셨다면 아래 버튼을 눌러 확인해 주세요. 요청하지 않으셨다면 이 페이지를 닫으시면 됩니다. 아무 일도 일어나지 않습니다.',
  'verify.confirm.submit': '내 요청 확인',
  'verify.alreadyConfirmed.title': '이미 확인된 요청입니다',
  'verify.alreadyConfirmed.body':
    '이메일에 있는 링크로 처리 현황을 확인하세요. 링크가 없으시면 새 링크를 이메일로 보내 드립니다.',
  'status.linkExpired.title': '현황 확인 링크가 만료되었습니다',
  'status.linkExpired.body':
    '보안을 위해 요청 링크는 일정 기간만 유효합니다. 요청에 사용하신 이메일 주소로 새 링크를 보내 드릴 수 있습니다.',
  'status.newLink.submit': '새 링크를 이메일로 받기',
  'status.newLink.sent':
    '이 요청의 이메일 주소를 아직 보관하고 있다면 그 주소로 새 링크를 보내 드렸습니다. 도착하기까지 몇 분 정도 걸릴 수 있습니다.',
  'email.statusLink.subject': '개인정보 요청의 새 링크',
  'email.statusLink.body': '요청하신 개인정보 요청 현황 확인용 새 링크입니다. {date}까지 유효합니다.',
  'error.mailUnavailable.title': '지금은 이메일을 보낼 수 없습니다',
  'error.mailUnavailable.body':
    '이메일 서비스가 응답하지 않아 메시지를 보내 드리지 못했습니다. 몇 분 후에 다시 시도해 주세요.',
} satisfies PrivacyCatalogue;
