/** Source of "now"; injected everywhere so time rules are testable with a fixed clock. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
