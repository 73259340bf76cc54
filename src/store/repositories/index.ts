import type { StoreContext } from '../context.js';
import { AccessKeysRepository } from './access-keys.js';
import { AccountsRepository } from './accounts.js';
import { CallbacksRepository } from './callbacks.js';
import { DeliveryReportsRepository } from './delivery-reports.js';
import { LinksRepository } from './links.js';
import { MaterialsRepository } from './materials.js';
import { OutboxRepository } from './outbox.js';
import { ResolveTasksRepository } from './resolve-tasks.js';
import { RetentionRepository } from './retention.js';
import { TemplateReportsRepository } from './template-reports.js';
import { SendDetailsRepository } from './send-details.js';
import { SendReportsRepository } from './send-reports.js';
import { SendTasksRepository } from './send-tasks.js';
import { SettingsRepository } from './settings.js';
import { SignaturesRepository } from './signatures.js';
import { SmsTemplatesRepository } from './sms-templates.js';
import { TemplatesRepository } from './templates.js';
import { TokensRepository } from './tokens.js';
import { UsersRepository } from './users.js';

/** One repository per aggregate, all bound to the same connection or transaction. */
export interface Repositories {
  readonly accounts: AccountsRepository;
  readonly users: UsersRepository;
  readonly tokens: TokensRepository;
  readonly accessKeys: AccessKeysRepository;
  readonly settings: SettingsRepository;
  readonly templates: TemplatesRepository;
  readonly materials: MaterialsRepository;
  readonly links: LinksRepository;
  readonly resolveTasks: ResolveTasksRepository;
  readonly templateReports: TemplateReportsRepository;
  readonly signatures: SignaturesRepository;
  readonly smsTemplates: SmsTemplatesRepository;
  readonly callbacks: CallbacksRepository;
  readonly details: SendDetailsRepository;
  readonly tasks: SendTasksRepository;
  readonly sendReports: SendReportsRepository;
  readonly deliveryReports: DeliveryReportsRepository;
  readonly outbox: OutboxRepository;
  readonly retention: RetentionRepository;
}

export function repositoriesFor(ctx: StoreContext): Repositories {
  return {
    accounts: new AccountsRepository(ctx),
    users: new UsersRepository(ctx),
    tokens: new TokensRepository(ctx),
    accessKeys: new AccessKeysRepository(ctx),
    settings: new SettingsRepository(ctx),
    templates: new TemplatesRepository(ctx),
    materials: new MaterialsRepository(ctx),
    links: new LinksRepository(ctx),
    resolveTasks: new ResolveTasksRepository(ctx),
    templateReports: new TemplateReportsRepository(ctx),
    signatures: new SignaturesRepository(ctx),
    smsTemplates: new SmsTemplatesRepository(ctx),
    callbacks: new CallbacksRepository(ctx),
    details: new SendDetailsRepository(ctx),
    tasks: new SendTasksRepository(ctx),
    sendReports: new SendReportsRepository(ctx),
    deliveryReports: new DeliveryReportsRepository(ctx),
    outbox: new OutboxRepository(ctx),
    retention: new RetentionRepository(ctx),
  };
}

export type {
  AccessKeysRepository, AccountsRepository, CallbacksRepository, DeliveryReportsRepository, LinksRepository, MaterialsRepository, OutboxRepository,
  ResolveTasksRepository, RetentionRepository, SendDetailsRepository, SendReportsRepository, SendTasksRepository, SettingsRepository,
  SignaturesRepository, SmsTemplatesRepository, TemplateReportsRepository, TemplatesRepository, TokensRepository, UsersRepository,
};
