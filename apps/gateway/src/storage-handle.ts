/**
 * The database and the sealed secrets, opened and migrated: what every CLI command needs, and what
 * the services are built on. Its own module so that an administration command (`apigpt key revoke`)
 * loads none of the relay, the providers or the HTTP server: it starts in a fraction of the time.
 */
import type { Config } from './config/config.js';
import { SecretBox } from './core/crypto.js';
import { createLogger, type Logger } from './core/logger.js';
import { loadMasterKey } from './core/master-key.js';
import { ChannelStore } from './channels/channels.js';
import { openDatabase, type DatabaseHandle, type Db } from './storage/database.js';
import { migrateToLatest } from './storage/migrations.js';

/** Storage and secrets: what every CLI command needs, without the relay. */
export interface Storage {
  config: Config;
  log: Logger;
  dbh: DatabaseHandle;
  db: Db;
  box: SecretBox;
  /** The master key, loaded once: sealing secrets and signing image links. */
  masterKey: Buffer;
  channels: ChannelStore;
  close(): Promise<void>;
}

export async function openStorage(config: Config, log: Logger = createLogger(config.logLevel)): Promise<Storage> {
  const dbh = await openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, schema: config.databaseSchema, stallMs: config.databaseStallMs, log });
  try {
    await migrateToLatest(dbh.db, { schema: dbh.schema });
  } catch (err) {
    await dbh.close();
    throw err;
  }
  const { key } = loadMasterKey(config.secret, config.dataDir);
  const box = new SecretBox(key);
  return { config, log, dbh, db: dbh.db, box, masterKey: key, channels: new ChannelStore(dbh.db, box, dbh.changeToken), close: () => dbh.close() };
}

