import { PostgresDialect, sql, type DatabaseIntrospector, type DatabaseMetadata, type DatabaseMetadataOptions, type Kysely, type SchemaMetadata, type TableMetadata } from 'kysely';

/**
 * Kysely's PostgreSQL introspector lists the tables of every schema in the database and calls
 * `has_schema_privilege(name, …)` and `pg_get_serial_sequence('schema.table', …)` on each by name.
 * When another process drops a schema while that query runs (tests give each gateway a schema of its
 * own; a shared database may hold other tenants' schemas), the name no longer resolves and the
 * query fails with `schema "…" does not exist` — a failure of *our* migration caused by someone
 * else's schema. Kysely's Migrator uses the introspector to find its bookkeeping tables, so the
 * gateway asks only about its own schema, by equality on the name and joins on OIDs, which never
 * raise for an object dropped meanwhile.
 */
export class SchemaScopedPostgresDialect extends PostgresDialect {
  readonly #schema: string;
  constructor(config: ConstructorParameters<typeof PostgresDialect>[0], schema: string) {
    super(config);
    this.#schema = schema;
  }
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SchemaScopedIntrospector(db, this.#schema);
  }
}

interface ColumnRow {
  table: string;
  kind: string;
  column: string;
  type: string;
  type_schema: string;
  not_null: boolean;
  has_default: boolean;
  identity: string;
  comment: string | null;
}

class SchemaScopedIntrospector implements DatabaseIntrospector {
  constructor(
    private readonly db: Kysely<any>,
    private readonly schema: string,
  ) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const rows = (await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${this.schema}`.execute(this.db)).rows;
    return rows.map((r) => ({ name: r.name }));
  }

  async getTables(options: DatabaseMetadataOptions = { withInternalKyselyTables: false }): Promise<TableMetadata[]> {
    const rows = (
      await sql<ColumnRow>`
        select c.relname as table, c.relkind as kind, a.attname as column, t.typname as type, tn.nspname as type_schema,
               a.attnotnull as not_null, a.atthasdef as has_default, a.attidentity as identity,
               col_description(a.attrelid, a.attnum) as comment
        from pg_catalog.pg_namespace n
        join pg_catalog.pg_class c on c.relnamespace = n.oid
        join pg_catalog.pg_attribute a on a.attrelid = c.oid
        join pg_catalog.pg_type t on t.oid = a.atttypid
        join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace
        where n.nspname = ${this.schema} and c.relkind in ('r', 'v', 'p') and a.attnum > 0 and not a.attisdropped
        order by c.relname, a.attnum`.execute(this.db)
    ).rows;
    const tables = new Map<string, TableMetadata & { columns: TableMetadata['columns'][number][] }>();
    for (const r of rows) {
      if (!options.withInternalKyselyTables && r.table.startsWith('kysely_migration')) continue;
      let table = tables.get(r.table);
      if (!table) {
        table = { name: r.table, schema: this.schema, isView: r.kind === 'v', columns: [] };
        tables.set(r.table, table);
      }
      table.columns.push({
        name: r.column,
        dataType: r.type,
        dataTypeSchema: r.type_schema,
        isNullable: !r.not_null,
        hasDefaultValue: r.has_default,
        // Identity columns only (a serial column shows as a nextval() default); nothing here reads it.
        isAutoIncrementing: r.identity !== '',
        ...(r.comment != null ? { comment: r.comment } : {}),
      });
    }
    return [...tables.values()];
  }

  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }
}
