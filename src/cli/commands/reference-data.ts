import type { Command } from 'commander';
import type { ConfigFlags } from '../../config.js';
import { systemClock } from '../../domain/clock.js';
import { IdentityAdmin } from '../../service/identity-admin.js';
import { ReferenceData } from '../../service/reference-data.js';
import { Templates } from '../../service/templates.js';
import { VENDORS, vendorStateCode } from '../../domain/aim-template.js';
import { LINK_MARK } from '../../domain/link.js';
import { CAPABILITY_SETTING, capabilitySource, parseCapabilitySource } from '../../domain/capability.js';
import { UsageError, databaseOption, withStore } from '../shared.js';
import { normaliseDomain } from '../../domain/link.js';

/** `template`, `sms-template` and `sign`: what send tasks name. */
export function registerReferenceData(program: Command): void {
  const template = program.command('template').description('manage AIM templates (what send tasks name in resolve_task.tpl_id)');
  template.command('add')
    .description('add an AIM template to an account')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--tpl-id <id>', '9-digit template id')
    .requiredOption('--name <name>', 'template name (1 to 100 characters)')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string; tplId: string; name: string }) => {
      const created = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        return new ReferenceData(store, systemClock).addTemplate(target.id, { tplId: opts.tplId, tplName: opts.name });
      });
      process.stderr.write(`template ${created.tplId} (${created.tplName}) added\n`);
    });
  template.command('list')
    .description('list an account\'s AIM templates')
    .requiredOption('--account <name>', 'account name')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string }) => {
      const rows = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        return (await store.templates.list(target.id, {}, 0, 1_000_000)).rows;
      });
      const audit = ['not submitted', 'reviewing', 'approved', 'rejected'];
      const lines = rows.map((t) => [
        t.tplId, t.tplState === 1 ? 'enabled' : 'disabled', audit[t.auditState] ?? String(t.auditState),
        t.vendors.map((v) => `${v.vendor}:${v.review}`).join(',') || '-', new Date(t.createdAt).toISOString(), t.tplName,
      ].join('\t'));
      process.stdout.write(['TPL_ID\tSTATE\tAUDIT\tVENDORS\tCREATED_AT\tNAME', ...lines].join('\n') + '\n');
    });
  template.command('review')
    .description('approve or reject a template for one vendor (--factory) or all its vendors; queues a template-status receipt (url_type 1) on every change')
    .argument('<decision>', 'approve or reject')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--tpl-id <id>', 'the template id')
    .option('--reason <text>', 'why (shown as audit_desc; at most 200 characters)')
    .option('--factory <vendor>', `one vendor: ${VENDORS.join(', ')}`)
    .addOption(databaseOption())
    .action(async (decision: string, opts: ConfigFlags & { account: string; tplId: string; reason?: string; factory?: string }) => {
      if (decision !== 'approve' && decision !== 'reject') throw new UsageError(`the decision must be approve or reject (got ${JSON.stringify(decision)})`);
      const template = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        return new Templates(store, systemClock, { autoApprove: false }).review(target.id, opts.tplId, decision, {
          ...(opts.reason !== undefined ? { reason: opts.reason } : {}), ...(opts.factory !== undefined ? { vendor: opts.factory } : {}),
        });
      });
      const audit = ['not submitted', 'reviewing', 'approved', 'rejected'][template.auditState] ?? String(template.auditState);
      const vendors = template.vendors.map((v) => `${v.vendor} ${v.review} (${vendorStateCode(v.review)})`).join(', ');
      process.stderr.write(`template ${template.tplId}: ${audit}${vendors ? `; ${vendors}` : ''}\n`);
    });

  const smsTemplate = program.command('sms-template').description('manage SMS template contents (the text a gateway channel such as Kannel sends)');
  smsTemplate.command('add')
    .description('set the content of an SMS template: ${aim_url} is where the recipient\'s link goes; ${1}, ${2}, … take the task\'s sms_params in order')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--id <id>', 'the SMS template id send tasks name in sms_channel.sms_tpl_id')
    .requiredOption('--content <text>', 'the text after the 【signature】')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string; id: string; content: string }) => {
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(opts.id)) throw new UsageError('--id must be 1 to 32 letters, digits, _ or -');
      if (opts.content.length === 0 || opts.content.length > 500) throw new UsageError('--content must be 1 to 500 characters');
      if (!opts.content.includes(LINK_MARK)) {
        throw new UsageError(`--content must mark where the recipient's link goes with ${LINK_MARK} (a send task naming an SMS template without it is refused with KM.00001377)`);
      }
      await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        await store.smsTemplates.upsert(target.id, opts.id, opts.content, systemClock().getTime());
      });
      process.stderr.write(`SMS template ${opts.id} set\n`);
    });
  smsTemplate.command('list')
    .description('list an account\'s SMS template contents')
    .requiredOption('--account <name>', 'account name')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string }) => {
      const rows = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        return store.smsTemplates.list(target.id);
      });
      process.stdout.write(['ID\tCONTENT', ...rows.map((r) => `${r.smsTplId}\t${r.content}`)].join('\n') + '\n');
    });

  const capability = program.command('capability').description('the numbers that cannot show intelligent messages (CheckMobileCapability\'s source)');
  capability.command('set')
    .description('replace the source: national-number prefixes and SHA-1 digests of numbers that cannot show AIMs (every other number can)')
    .option('--unsupported-prefixes <list>', 'comma-separated prefixes, e.g. 170,171', '')
    .option('--unsupported-sha1 <list>', 'comma-separated SHA-1 digests of <country code><number>', '')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { unsupportedPrefixes: string; unsupportedSha1: string }) => {
      const split = (text: string) => text.split(',').map((v) => v.trim()).filter(Boolean);
      let source;
      try {
        source = capabilitySource(split(opts.unsupportedPrefixes), split(opts.unsupportedSha1));
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      await withStore(opts, (store) => store.settings.set(CAPABILITY_SETTING, JSON.stringify(source)));
      process.stderr.write(`capability source set: ${source.unsupportedPrefixes.length} prefixes, ${source.unsupportedSha1.length} digests unsupported\n`);
    });
  capability.command('show')
    .description('print the source')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags) => {
      const source = parseCapabilitySource(await withStore(opts, (store) => store.settings.get(CAPABILITY_SETTING)));
      process.stdout.write(`${JSON.stringify(source, null, 2)}\n`);
    });

  const domain = program.command('domain').description('short-link domains of an account (resolve_task.domain; their DNS points at the link host)');
  domain.command('add')
    .description('register a domain: custom for the customer\'s own short codes (generation_type 2), standard for drawn codes on it')
    .requiredOption('--account <name>', 'account name')
    .option('--codes <kind>', 'custom or standard', 'custom')
    .argument('<domain>', 'host name, e.g. km2n.cn')
    .addOption(databaseOption())
    .action(async (name: string, opts: ConfigFlags & { account: string; codes: string }) => {
      const created = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        return new ReferenceData(store, systemClock).addDomain(target.id, name, opts.codes as 'custom');
      });
      process.stderr.write(`domain ${created.domain} registered for ${created.codes} short codes\n`);
    });
  domain.command('list')
    .description('list registered domains')
    .option('--account <name>', 'only this account\'s')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account?: string }) => {
      const rows = await withStore(opts, async (store) => {
        const target = opts.account === undefined ? undefined : await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        const accounts = new Map((await store.accounts.list()).map((a) => [a.id, a.name]));
        return (await store.links.domains(target?.id)).map((d) => [d.domain, d.codes, accounts.get(d.accountId) ?? String(d.accountId), new Date(d.createdAt).toISOString()].join('\t'));
      });
      process.stdout.write(['DOMAIN\tCODES\tACCOUNT\tCREATED_AT', ...rows].join('\n') + '\n');
    });
  domain.command('remove')
    .description('unregister a domain: no new links on it; its links keep resolving until they expire')
    .argument('<domain>', 'host name')
    .addOption(databaseOption())
    .action(async (name: string, opts: ConfigFlags) => {
      const removed = await withStore(opts, (store) => store.links.removeDomain(normaliseDomain(name)));
      if (!removed) throw new UsageError(`domain ${name} is not registered`);
      process.stderr.write(`domain ${normaliseDomain(name)} removed\n`);
    });

  const sign = program.command('sign').description('manage SMS signatures (what send tasks name in sms_channel.sms_sign)');
  sign.command('add')
    .description('add an SMS signature to an account')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--sign <sign>', 'the signature (1 to 18 characters)')
    .option('--channel-number <n>', 'its channel number; send tasks must then name the same one')
    .option('--app-name <name>', 'its SMS application; send tasks must then name the same one')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string; sign: string; channelNumber?: string; appName?: string }) => {
      const created = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        return new ReferenceData(store, systemClock).addSignature(target.id, {
          smsSign: opts.sign, channelNumber: opts.channelNumber ?? null, appName: opts.appName ?? null,
        });
      });
      process.stderr.write(`signature ${created.smsSign} added\n`);
    });
  sign.command('list')
    .description('list an account\'s SMS signatures')
    .requiredOption('--account <name>', 'account name')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string }) => {
      const rows = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        return store.signatures.list(target.id);
      });
      const lines = rows.map((r) => [r.smsSign, r.channelNumber ?? '', r.appName ?? ''].join('\t'));
      process.stdout.write(['SIGN\tCHANNEL_NUMBER\tAPP_NAME', ...lines].join('\n') + '\n');
    });
}
