/**
 * @module Which driver errors mean "the database cannot take requests right now" (a server
 * that is down or restarting, a full disk, an I/O error), as opposed to a fault of the
 * query or of the data. The first are answered 503 with Retry-After and logged once per
 * change of state (services/database-availability.ts); the others stay 500s.
 */

export interface DatabaseFault {
  /** The driver's code: SQLITE_FULL, ECONNREFUSED, 57P01, … */
  code: string;
  /** The driver's message, for the log. */
  message: string;
}

/** Socket errors of the PostgreSQL connection. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception), 53 (insufficient resources: disk
 * full, out of memory, too many connections), 57P01–57P03 (shutting down, cannot connect
 * now), 58030 (I/O error). See https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
function isUnavailableSqlState(code: string): boolean {
  return /^08[0-9A-Z]{3}$/.test(code) || /^53[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code) || code === '58030';
}

/**
 * SQLite result codes (extended ones start with their primary code): the disk is full, an
 * I/O error, the file became read-only or cannot be opened, the write lock stayed taken past
 * the busy timeout. SQLITE_CORRUPT is not among them: retrying does not help.
 */
const SQLITE_PRIMARY = ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_BUSY', 'SQLITE_NOMEM', 'SQLITE_PROTOCOL'];

/** node-postgres reports a connection lost mid-query without a code. */
const PG_CONNECTION_MESSAGES = [/^Connection terminated/, /timeout exceeded when trying to connect/, /Client has encountered a connection error/, /Connection ended unexpectedly/];

function codeOf(error: object): string | null {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : null;
}

/** The fault when `error` means the database is unavailable, else null. */
export function databaseFaultOf(error: unknown): DatabaseFault | null {
  if (typeof error !== 'object' || error === null) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = codeOf(error);
  if (code !== null) {
    if (NETWORK_CODES.has(code) || isUnavailableSqlState(code) || SQLITE_PRIMARY.some((p) => code === p || code.startsWith(`${p}_`))) return { code, message };
  }
  // Node's connect to a name with several addresses fails with an AggregateError of each attempt.
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const fault = databaseFaultOf(inner);
      if (fault) return { code: fault.code, message: message || fault.message };
    }
  }
  if (PG_CONNECTION_MESSAGES.some((p) => p.test(message))) return { code: 'CONNECTION_LOST', message };
  // A wrapper (e.g. the correlator's) keeps the driver's error as its cause.
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error ? databaseFaultOf(cause) : null;
}
