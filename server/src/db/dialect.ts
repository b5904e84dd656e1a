/** @module Which SQL engine a connection talks to. */
export type SqlDialect = 'sqlite' | 'postgres';
