/** Every label of the console, in Chinese and English. */
const LABELS = {
  title: ['智能信息发送明细', 'AIM send details'],
  signIn: ['登录', 'Sign in'],
  signOut: ['退出', 'Sign out'],
  account: ['账号名', 'Account'],
  user: ['用户名', 'User'],
  password: ['密码', 'Password'],
  orToken: ['或使用 Token', 'Or use a token'],
  token: ['Token', 'Token'],
  useToken: ['使用 Token', 'Use token'],
  details: ['发送明细', 'Send details'],
  tasks: ['发送任务', 'Send tasks'],
  overview: ['30 天概览', 'Last 30 days'],
  taskId: ['任务 ID', 'Task ID'],
  tplId: ['模板 ID', 'Template ID'],
  smsSign: ['短信签名', 'SMS signature'],
  phone: ['手机号', 'Phone'],
  status: ['状态', 'Status'],
  anyStatus: ['全部状态', 'Any status'],
  sending: ['发送中', 'Sending'],
  success: ['成功', 'Success'],
  fail: ['失败', 'Failed'],
  begin: ['开始时间（本地）', 'From (local time)'],
  end: ['结束时间（本地）', 'To (local time)'],
  search: ['查询', 'Search'],
  reset: ['重置', 'Reset'],
  pageSize: ['每页', 'Per page'],
  prev: ['上一页', 'Previous'],
  page: ['页码', 'Page'],
  next: ['下一页', 'Next'],
  range: ['第 {from}–{to} 条，共 {total} 条', '{from}–{to} of {total}'],
  none: ['没有匹配的记录', 'No matching messages'],
  window: ['只能翻阅前 10000 条：请缩小筛选条件，或导出全部结果。', 'Only the first 10,000 rows can be paged: narrow the filters, or export them all.'],
  export: ['导出当前结果 (CSV)', 'Export this view (CSV)'],
  exporting: ['正在导出…', 'Exporting…'],
  sendTime: ['发送时间', 'Sent'],
  receiveTime: ['回执时间', 'Received'],
  taskName: ['任务名称', 'Task'],
  tplName: ['模板名称', 'Template'],
  resultCode: ['结果码', 'Result code'],
  close: ['关闭', 'Close'],
  created: ['创建时间', 'Created'],
  submitted: ['提交数', 'Submitted'],
  sent: ['发送数', 'Sent'],
  error: ['出错了', 'Something went wrong'],
  language: ['English', '中文'],
  bothTimes: ['开始与结束时间需同时填写', 'Give both times or neither'],
} as const;

export type Label = keyof typeof LABELS;
export type Lang = 'zh' | 'en';

let lang: Lang = (localStorage.getItem('aimledger.lang') as Lang | null) ?? (navigator.language.startsWith('zh') ? 'zh' : 'en');

export function t(label: Label, values: Record<string, string | number> = {}): string {
  const text: string = LABELS[label][lang === 'zh' ? 0 : 1];
  return text.replace(/\{(\w+)\}/g, (_m, k: string) => String(values[k] ?? ''));
}

export function currentLang(): Lang {
  return lang;
}

export function toggleLang(): void {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('aimledger.lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}
