import type { StoreContext } from '../context.js';

/** Deployment-wide settings by name (the master key's check value, for one). */
export class SettingsRepository {
  constructor(private readonly ctx: StoreContext) {}

  async get(name: string): Promise<string | undefined> {
    const row = await this.ctx.db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
    return row?.value;
  }

  /** Stores `value`, replacing what the setting held. */
  async set(name: string, value: string): Promise<void> {
    await this.ctx.db.insertInto('settings').values({ name, value })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value })).execute();
  }

  /** Stores `value` unless the setting exists; returns the value that is stored now. */
  async init(name: string, value: string): Promise<string> {
    await this.ctx.db.insertInto('settings').values({ name, value })
      .onConflict((oc) => oc.column('name').doNothing()).execute();
    const stored = await this.get(name);
    if (stored === undefined) throw new Error(`setting ${name} vanished after it was stored`);
    return stored;
  }
}
