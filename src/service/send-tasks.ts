import { randomInt, randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { ErrorCodes, InvalidParameter } from '../domain/errors.js';
import type { Principal } from '../domain/identity.js';
import { RESULT_WINDOW, type SendDetail } from '../domain/send-detail.js';
import type { SendTaskRequest, SendTasksQuery } from '../domain/send-task.js';
import { toWholeSeconds } from '../domain/time.js';
import { JOB_KINDS, type OutboxJobInput } from '../domain/jobs.js';
import type { Store } from '../store/store.js';
import { sendableTemplate } from './templates.js';
import { recordDetails } from './ledger.js';
import type { NewSendTask, SendTaskSummary } from '../domain/send-task.js';
import type { TemplateInfo } from '../domain/reference-data.js';
import { aimUrl, LINK_MARK, type Link, type LinkFailure } from '../domain/link.js';
import { insertLinks, linkDomainFor } from './link-codes.js';

export interface CreatedSendTask {
  task: NewSendTask;
  template: TemplateInfo;
  /** The recipients' details, in the order of the recipients; undefined for those whose link failed. */
  details: Array<SendDetail | undefined>;
  /** Each recipient's link, in the order of the recipients; undefined for those whose link failed. */
  links: Array<Link | undefined>;
  /** Recipients whose link could not be made: they get no SMS and no detail (failed_short_chains). */
  failures: LinkFailure[];
}

export interface SendTaskOptions {
  /** The domain of the links (aim_url is `<domain>/<aim_code>`): the link host's, known once it listens. */
  linkDomain: () => string;
}

const DAY_MS = 86_400_000;

/** `<uuid>_<9 digits>`, the shape of KooMessage's msg_id. */
function newMsgId(): string {
  return `${randomUUID()}_${String(randomInt(100_000_000, 1_000_000_000))}`;
}

/** CreateAimSendTask and ListAimSendTasks. */
export class SendTasks {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** Called after a task commits, to wake the dispatcher. */
    private readonly onCreated: () => void = () => {},
    private readonly options: SendTaskOptions = { linkDomain: () => '127.0.0.1:8081' },
  ) {}

  /**
   * Checks the template and signature, then stores the task, one `sending` detail per recipient
   * and their dispatch jobs in one transaction. Once this returns the task cannot be lost.
   */
  async create(principal: Principal, request: SendTaskRequest): Promise<CreatedSendTask> {
    const accountId = principal.account.id;
    const { smsChannel: channel, resolveTask: resolve } = request;
    const template = await sendableTemplate(this.store, accountId, resolve.tplId);
    const signature = await this.store.signatures.find(accountId, channel.smsSign);
    if (!signature) throw new InvalidParameter(`sms_channel.sms_sign ${JSON.stringify(channel.smsSign)} is not a signature of this account`);
    if (signature.channelNumber !== null && signature.channelNumber !== channel.channelNumber) {
      throw new InvalidParameter(`sms_channel.channel_number does not belong to signature ${JSON.stringify(channel.smsSign)}`);
    }
    if (signature.appName !== null && signature.appName !== channel.smsAppName) {
      throw new InvalidParameter(`sms_channel.sms_app_name does not belong to signature ${JSON.stringify(channel.smsSign)}`);
    }

    const smsContent = await this.store.smsTemplates.find(accountId, channel.smsTplId);
    if (smsContent !== undefined && !smsContent.includes(LINK_MARK)) {
      throw new InvalidParameter(`SMS template ${channel.smsTplId} has no ${LINK_MARK}: it must mark where the recipient's link goes`, ErrorCodes.smsTemplateWithoutLink);
    }

    const createdAt = this.clock().getTime();
    const task: NewSendTask = {
      taskId: randomUUID(), taskName: request.taskName, tplId: resolve.tplId, smsSign: channel.smsSign, createdAt,
      smsTplId: channel.smsTplId, channelNumber: channel.channelNumber, smsAppName: channel.smsAppName,
      aimCodeType: resolve.aimCodeType, resolveTimes: resolve.resolveTimes, expirationTime: resolve.expirationTime,
      generationType: resolve.generationType, domain: resolve.domain, submissionCount: resolve.params.length,
    };
    const details: SendDetail[] = resolve.params.map((p) => ({
      msgId: newMsgId(), taskId: task.taskId, taskName: task.taskName, tplId: template.tplId, tplName: template.tplName,
      smsSign: channel.smsSign, custFlag: p.custFlag, sendAccount: p.custFlag, sendStatus: 'sending',
      sendTime: toWholeSeconds(createdAt), receiveTime: null, resultCode: null,
    }));
    const domain = await linkDomainFor(this.store, accountId, resolve.generationType, resolve.domain, this.options.linkDomain());
    const links: Link[] = details.map((d, i) => ({
      domain, aimCode: '', accountId, resolveId: randomUUID().replaceAll('-', ''), taskId: task.taskId, taskName: task.taskName,
      tplId: template.tplId, tplName: template.tplName, custFlag: d.custFlag as string, sendAccount: principal.user.name, msgId: d.msgId,
      dyncParams: resolve.params[i]?.dyncParams ?? null, customUrl: resolve.params[i]?.customUrl ?? null, smsSign: channel.smsSign,
      codeType: 'individual', expiresAt: createdAt + resolve.expirationTime * DAY_MS, resolvingTimes: 1, resolvedTimes: 0,
      resolvedStatus: 'unresolved', resolvedTime: null, createdAt,
    }));
    const customCodes = resolve.generationType === '2' ? resolve.params.map((p) => p.customShortCode) : null;
    const dispatch = (d: SendDetail, i: number): OutboxJobInput => ({
      kind: JOB_KINDS.dispatch,
      accountId,
      runAt: createdAt,
      payload: {
        msgId: d.msgId, accountId, phone: d.custFlag as string, smsSign: channel.smsSign, channelNumber: channel.channelNumber,
        smsTplId: channel.smsTplId, smsAppName: channel.smsAppName, tplId: template.tplId,
        smsParams: resolve.params[i]?.smsParams ?? null, aimUrl: aimUrl(domain, (links[i] as Link).aimCode),
      },
    });
    await this.store.details.prepareFor(details);
    const failures = await this.store.transaction(async (tx) => {
      const refused = await insertLinks(tx, links, customCodes);
      const failed = new Set(refused.map((f) => f.index));
      const sent = details.filter((_, i) => !failed.has(i));
      task.taskState = sent.length > 0 ? 'Success' : 'Failed';
      await tx.tasks.insert(accountId, task);
      const inserted = await recordDetails(tx, accountId, sent, createdAt);
      if (inserted.length !== sent.length) throw new Error('a new send task\'s msg_id already existed');
      await tx.outbox.enqueue(details.flatMap((d, i) => (failed.has(i) ? [] : [dispatch(d, i)])), createdAt);
      return refused;
    });
    const gone = new Set(failures.map((f) => f.index));
    this.onCreated();
    return {
      task, template, failures,
      details: details.map((d, i) => (gone.has(i) ? undefined : d)), links: links.map((l, i) => (gone.has(i) ? undefined : l)),
    };
  }

  async list(principal: Principal, query: SendTasksQuery): Promise<{ rows: SendTaskSummary[]; total: number }> {
    const { offset, limit, ...filter } = query;
    // Past the 10000 window: no rows, the true total (as send-details).
    const pageLimit = offset + limit > RESULT_WINDOW ? 0 : limit;
    return this.store.read((r) => r.tasks.list(principal.account.id, filter, offset, pageLimit));
  }
}
