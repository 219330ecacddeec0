import type { PrivacyCatalogue } from './en';

/** The privacy portal and its emails in Japanese: the keys and ICU arguments of en.ts, translated. */
export const ja = {
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
  'request.type.deletion.help':
    '法律で保存が義務づけられているものを除き、すべてのシステムからお客様の個人情報を削除します。',
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
  'system.status.not-supported': 'このシステムでは対応できません',
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
  'prefs.purpose.saleSharing.help':
    'パートナー企業が独自の目的（ターゲティング広告を含む）で利用できるよう、お客様の情報を共有します。',
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
  'email.verification.intro':
    'このメールアドレスで、個人情報に関するリクエストを受け付けました。ご本人によるリクエストであることを確認するため、リクエストを送信したページで次のコードを入力してください：',
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
  'email.completed.exportExpiry':
    'このリンクは{date}まで有効です。期限が過ぎた場合は、あらためてコピーをご依頼ください。',
  'email.cancelled.subject': '個人情報に関するリクエストを取り消しました',
  'email.cancelled.body':
    '個人情報に関するリクエストを取り消しました。お客様の情報は一切変更していません。新しいリクエストはいつでもお送りいただけます。',

  'verify.confirm.title': '個人情報に関するリクエストの確認',
  'verify.confirm.body':
    'このリクエストをご自身で送信したことを確認するには、下のボタンを押してください。お心当たりがない場合は、このページを閉じてください。何も行われません。',
  'verify.confirm.submit': 'リクエストを確認する',
  'verify.alreadyConfirmed.title': 'このリクエストは確認済みです',
  'verify.alreadyConfirmed.body':
    '対応状況はメールに記載のリンクからご確認ください。リンクがお手元にない場合は、新しいリンクをメールでお送りします。',
  'status.linkExpired.title': 'この状況確認リンクは有効期限が切れています',
  'status.linkExpired.body':
    'セキュリティのため、リクエストへのリンクは一定期間のみ有効です。リクエストに使用されたメールアドレスに新しいリンクをお送りできます。',
  'status.newLink.submit': '新しいリンクをメールで受け取る',
  'status.newLink.sent':
    'このリクエストのメールアドレスを当社がまだ保有している場合は、新しいリンクをお送りしました。届くまで数分かかることがあります。',
  'email.statusLink.subject': '個人情報に関するリクエストの新しいリンク',
  'email.statusLink.body':
    'リクエストの対応状況を確認するための新しいリンクをお送りします。このリンクは{date}まで有効です。',
  'error.mailUnavailable.title': '現在メールを送信できません',
  'error.mailUnavailable.body':
    'メールサービスから応答がなかったため、メッセージをお送りできませんでした。数分後にもう一度お試しください。',
} satisfies PrivacyCatalogue;
