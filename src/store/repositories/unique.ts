import { Conflict } from '../../domain/errors.js';
import type { StoreContext } from '../context.js';

/** Runs an insert; a unique-key violation becomes Conflict with `message`. */
export async function uniqueOr<T>(ctx: StoreContext, work: () => Promise<T>, message: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (ctx.adapter.isUniqueViolation(error)) throw new Conflict(message);
    throw error;
  }
}
