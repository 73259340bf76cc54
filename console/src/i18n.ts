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
  templates: ['智能信息模板', 'Templates'],
  newTemplate: ['新建模板', 'New template'],
  tplNameField: ['模板名称（1–17 字）', 'Name (1–17 characters)'],
  useId: ['用途', 'Use'],
  commercial: ['商用', 'Commercial'],
  trial: ['试商用（名称含“测试”）', 'Trial (name contains 测试)'],
  layout: ['版式', 'Layout'],
  vendors: ['厂商', 'Vendors'],
  smsExample: ['短信示例', 'SMS example'],
  pageNo: ['第 {n} 页', 'Page {n}'],
  addPage: ['添加页面', 'Add page'],
  addContent: ['添加组件', 'Add content'],
  remove: ['移除', 'Remove'],
  contentType: ['类型', 'Type'],
  contentText: ['文字 / 图片或视频地址 / 素材 ID', 'Text / image or video URL / material id'],
  cover: ['视频封面', 'Video cover'],
  link: ['点击跳转（https）', 'Opens (https)'],
  params: ['变量（如 ${param1}）与示例值', 'Variables (like ${param1}) and their examples'],
  addParam: ['添加变量', 'Add variable'],
  create: ['创建', 'Create'],
  createdTemplate: ['已创建模板 {id}', 'Created template {id}'],
  livePreview: ['实时预览（变量以示例值显示）', 'Live preview (variables show their examples)'],
  enabled: ['启用', 'Enabled'],
  disabled: ['禁用', 'Disabled'],
  enable: ['启用', 'Enable'],
  disable: ['禁用', 'Disable'],
  delete: ['删除', 'Delete'],
  confirmDelete: ['确定删除模板 {id}？', 'Delete template {id}?'],
  audit: ['审核', 'Review'],
  reviewing: ['审核中', 'Reviewing'],
  approved: ['已通过', 'Approved'],
  rejected: ['未通过', 'Rejected'],
  preview: ['预览', 'Preview'],
  state: ['状态', 'State'],
  materials: ['素材', 'Materials'],
  upload: ['上传', 'Upload'],
  file: ['文件', 'File'],
  resourceType: ['素材类型', 'Kind'],
  image: ['图片', 'Image'],
  video: ['视频', 'Video'],
  thumbnail: ['视频封面图', 'Thumbnail'],
  imageRate: ['图片比例', 'Aspect ratio'],
  videoId: ['所属视频的 material_id', 'Its video\'s material_id'],
  uploaded: ['已上传', 'Uploaded'],
  none2: ['暂无', 'None yet'],
  links: ['短链（{total} 条）', 'Links ({total})'],
  aimUrl: ['短链', 'Link'],
  linkState: ['解析状态', 'State'],
  resolvedTime: ['解析时间', 'Opened at'],
  opened: ['已解析', 'Opened'],
  notOpened: ['未解析', 'Not opened'],
  refused: ['解析失败', 'Refused (expired)'],
} as const;

export type Label = keyof typeof LABELS;
export type Lang = 'zh' | 'en';

let lang: Lang = (localStorage.getItem('aimledger.lang') as Lang | null) ?? (navigator.language.startsWith('zh') ? 'zh' : 'en');

export function t(label: Label, values: Record<string, string | number> = {}): string {
  const text: string = LABELS[label][lang === 'zh' ? 0 : 1];
  // A placeholder no value is given for stays as written (labels may show ${param1}).
  return text.replace(/\{(\w+)\}/g, (m: string, k: string) => (k in values ? String(values[k]) : m));
}

export function currentLang(): Lang {
  return lang;
}

export function toggleLang(): void {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('aimledger.lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}
