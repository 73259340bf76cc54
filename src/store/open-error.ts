/**
 * The database cannot be opened or reached at start-up: a missing or unreachable server, a
 * database that does not exist, a file that is not a database, a path that cannot be a database
 * file. The message says what is wrong and what to do, in one line, without a password.
 */
export class DatabaseOpenError extends Error {}
