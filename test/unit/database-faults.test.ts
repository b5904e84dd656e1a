/** Which driver errors mean "the database is unavailable" (503, logged once) and which stay 500s. */
import { describe, expect, it } from 'vitest';
import { databaseFaultOf } from '../../server/src/db/faults.js';

const withCode = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('databaseFaultOf', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), 'ECONNREFUSED'],
    ['a reset connection', withCode('ECONNRESET'), 'ECONNRESET'],
    ['PostgreSQL shutting down', withCode('57P01', 'terminating connection due to administrator command'), '57P01'],
    ['PostgreSQL starting up', withCode('57P03', 'the database system is starting up'), '57P03'],
    ['too many connections', withCode('53300'), '53300'],
    ['PostgreSQL disk full', withCode('53100'), '53100'],
    ['a connection exception', withCode('08006'), '08006'],
    ['SQLite disk full', withCode('SQLITE_FULL', 'database or disk is full'), 'SQLITE_FULL'],
    ['an SQLite I/O error', withCode('SQLITE_IOERR_WRITE'), 'SQLITE_IOERR_WRITE'],
    ['a read-only SQLite file', withCode('SQLITE_READONLY_DBMOVED'), 'SQLITE_READONLY_DBMOVED'],
    ['the write lock past the busy timeout', withCode('SQLITE_BUSY'), 'SQLITE_BUSY'],
    ['a connection cut mid-query', new Error('Connection terminated unexpectedly'), 'CONNECTION_LOST'],
    ['a connect to several addresses', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], ''), 'ECONNREFUSED'],
    ['a wrapper with the driver error as its cause', new Error('correlating failed', { cause: withCode('SQLITE_FULL') }), 'SQLITE_FULL'],
  ])('%s is a fault', (_name, error, code) => {
    expect(databaseFaultOf(error)?.code).toBe(code);
  });

  it.each([
    ['a constraint violation', withCode('SQLITE_CONSTRAINT_UNIQUE')],
    ['a damaged SQLite file (retrying does not help)', withCode('SQLITE_CORRUPT')],
    ['a PostgreSQL syntax error', withCode('42601')],
    ['a serialization failure', withCode('40001')],
    ['a bug', new TypeError('cannot read properties of undefined')],
    ['the masking rollback error', new Error('cannot rollback - no transaction is active')],
    ['not an error', 'ECONNREFUSED'],
    ['nothing', null],
  ])('%s is not', (_name, error) => {
    expect(databaseFaultOf(error)).toBeNull();
  });
});
