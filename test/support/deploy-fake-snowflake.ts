// An in-memory Snowflake account for the deploy tests. It executes the DDL lakec sends (the
// snowflake target's statements plus apply's ALTER/OR REPLACE/DROP) and answers SHOW/DESC with
// the column names Snowflake uses: SHOW output in lower case, DESC STORAGE INTEGRATION as
// property/property_type/property_value/property_default, DESC EXTERNAL TABLE with kind
// COLUMN for VALUE and VIRTUAL for declared columns. Unknown statements throw, so a typo in
// generated DDL fails a test instead of passing silently.
import type { Row, SnowflakeClient } from "../../deploy/providers/snowflake/client.js";

interface Integration {
  name: string;
  roleArn: string;
  allowed: string[];
  externalId: string;
}
interface Column {
  name: string;
  type: string;
  expr: string;
}
interface Table {
  db: string;
  schema: string;
  name: string;
  location: string;
  columns: Column[];
  partitionBy: string[];
  pattern: string;
  registered: string[];
}
interface Named {
  db: string;
  schema: string;
  name: string;
}

const IDENT = String.raw`(?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)`;
const QNAME = `(${IDENT}(?:\\.${IDENT})*)`;

function unquote(part: string): string {
  return part.startsWith('"') ? part.slice(1, -1).replace(/""/g, '"') : part.toUpperCase();
}

function splitName(q: string): string[] {
  return (q.match(new RegExp(IDENT, "g")) ?? []).map(unquote);
}

function like(pattern: string, s: string): boolean {
  const re = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    .replace(/%/g, ".*")
    .replace(/_/g, ".");
  return new RegExp(`^${re}$`, "i").test(s);
}

/** Snowflake's own spelling of a declared type, as DESC reports it. */
function describedType(t: string): string {
  const s = t.trim().toUpperCase();
  if (s === "VARCHAR" || s === "STRING" || s === "TEXT") return "VARCHAR(16777216)";
  if (s === "DOUBLE" || s === "FLOAT" || s === "REAL") return "FLOAT";
  if (s === "TIMESTAMP_NTZ" || s === "TIMESTAMP") return "TIMESTAMP_NTZ(9)";
  const dec = /^(?:DECIMAL|NUMBER|NUMERIC)\((\d+),\s*(\d+)\)$/.exec(s);
  if (dec) return `NUMBER(${dec[1]},${dec[2]})`;
  return s;
}

/** Splits at top-level `sep` (commas by default), respecting quotes and parentheses. */
export function splitTop(s: string, sep = ","): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = "";
  let cur = "";
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === sep && depth === 0) {
      out.push(cur.trim());
      cur = "";
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** The text inside the parenthesis that opens at `open`. */
function parenBody(s: string, open: number): { body: string; end: number } {
  let depth = 0;
  let quote = "";
  for (let i = open; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return { body: s.slice(open + 1, i), end: i };
  }
  throw new Error(`fake snowflake: unbalanced parentheses in ${s.slice(0, 80)}`);
}

const stringsIn = (s: string): string[] => [...s.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replace(/''/g, "'"));

export class FakeSnowflake implements SnowflakeClient {
  readonly executed: string[] = [];
  readonly integrations = new Map<string, Integration>();
  readonly schemas = new Set<string>();
  readonly fileFormats: Named[] = [];
  readonly stages: (Named & { url: string })[] = [];
  readonly tables: Table[] = [];
  readonly grants: string[] = [];
  /** Objects in S3 (full s3:// URLs) that external tables can register. */
  readonly files: string[] = [];
  /** Throw on the n-th DDL statement (1-based), to simulate an interrupted apply. */
  failOnStatement?: number;
  private created = 0;
  private lastShown: Row[] = [];
  private ddlCount = 0;

  constructor(
    readonly databases: readonly string[],
    readonly queueArn = "arn:aws:sqs:eu-west-1:123456789012:sf-snowpipe-AIDAFAKEUSER-abcdEFGH",
    readonly iamUserArn = "arn:aws:iam::123456789012:user/abc1-s-v2st0000",
  ) {}

  async query(sql: string): Promise<Row[]> {
    const s = sql.trim().replace(/;\s*$/, "");
    this.executed.push(s);
    const flat = s.replace(/\s+/g, " ");
    if (/^(SHOW|DESC|DESCRIBE|SELECT) /i.test(flat)) return this.show(flat);
    this.ddlCount++;
    if (this.failOnStatement === this.ddlCount) throw new Error(`fake snowflake: injected failure on statement ${this.ddlCount}`);
    this.ddl(flat);
    return [{ status: "Statement executed successfully." }];
  }

  async close(): Promise<void> {}

  private needDb(q: string): string {
    const [db] = splitName(q);
    if (!db || !this.databases.includes(db)) throw new Error(`SQL compilation error: Database '${db}' does not exist or not authorized.`);
    return db;
  }

  private show(s: string): Row[] {
    let m = /^SHOW STORAGE INTEGRATIONS(?: LIKE '([^']*)')?$/i.exec(s);
    if (m) return [...this.integrations.values()].filter((i) => !m![1] || like(m![1], i.name)).map((i) => this.integrationRow(i));
    m = new RegExp(`^DESC(?:RIBE)? (?:STORAGE )?INTEGRATION ${QNAME}$`, "i").exec(s);
    if (m) return this.descIntegration(splitName(m[1]!)[0]!);
    m = new RegExp(`^SHOW (FILE FORMATS|STAGES|EXTERNAL TABLES) IN DATABASE ${QNAME}$`, "i").exec(s);
    if (m) {
      const db = this.needDb(m[2]!);
      const kind = m[1]!.toUpperCase();
      if (kind === "FILE FORMATS")
        return this.fileFormats
          .filter((f) => f.db === db)
          .map((f) => ({
            created_on: "2026-01-01",
            name: f.name,
            database_name: f.db,
            schema_name: f.schema,
            type: "PARQUET",
            owner: "SYSADMIN",
            comment: "",
            format_options: "{}",
          }));
      if (kind === "STAGES") return this.stages.filter((x) => x.db === db).map((x) => this.stageRow(x));
      return this.tables.filter((t) => t.db === db).map((t) => this.tableRow(t));
    }
    m = new RegExp(`^SHOW EXTERNAL TABLES IN SCHEMA ${QNAME}$`, "i").exec(s);
    if (m) {
      const [db, schema] = splitName(m[1]!);
      this.lastShown = this.tables.filter((t) => t.db === db && t.schema === schema).map((t) => this.tableRow(t));
      return this.lastShown;
    }
    // 05_notification_channels.sql: the channel of each named table from the SHOW just before.
    m =
      /^SELECT "name", "notification_channel" FROM TABLE\(RESULT_SCAN\(LAST_QUERY_ID\(\)\)\) WHERE "name" IN \(([^)]*)\) ORDER BY "name"$/i.exec(
        s,
      );
    if (m) {
      const names = stringsIn(m[1]!);
      return this.lastShown
        .filter((r) => names.includes(String(r.name)))
        .map((r) => ({ name: r.name, notification_channel: r.notification_channel }))
        .sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1));
    }
    m = new RegExp(`^DESC(?:RIBE)? EXTERNAL TABLE ${QNAME}(?: TYPE = COLUMNS)?$`, "i").exec(s);
    if (m) return this.descTable(splitName(m[1]!));
    throw new Error(`fake snowflake: unsupported query: ${s}`);
  }

  private integrationRow(i: Integration): Row {
    return {
      name: i.name,
      type: "EXTERNAL_STAGE",
      category: "STORAGE",
      enabled: "true",
      comment: null,
      created_on: "2026-01-01 00:00:00.000 -0800",
    };
  }

  private descIntegration(name: string): Row[] {
    const i = this.integrations.get(name);
    if (!i) throw new Error(`SQL compilation error: Integration '${name}' does not exist or not authorized.`);
    const p = (property: string, property_type: string, property_value: string, property_default = ""): Row => ({
      property,
      property_type,
      property_value,
      property_default,
    });
    return [
      p("ENABLED", "Boolean", "true", "false"),
      p("STORAGE_PROVIDER", "String", "S3"),
      p("STORAGE_ALLOWED_LOCATIONS", "List", i.allowed.join(","), "[]"),
      p("STORAGE_BLOCKED_LOCATIONS", "List", "", "[]"),
      p("STORAGE_AWS_IAM_USER_ARN", "String", this.iamUserArn),
      p("STORAGE_AWS_ROLE_ARN", "String", i.roleArn),
      p("STORAGE_AWS_EXTERNAL_ID", "String", i.externalId),
      p("COMMENT", "String", ""),
    ];
  }

  private stageRow(x: Named & { url: string }): Row {
    const integration = [...this.integrations.values()][0]?.name ?? null;
    return {
      created_on: "2026-01-01",
      name: x.name,
      database_name: x.db,
      schema_name: x.schema,
      url: x.url,
      has_credentials: "N",
      has_encryption_key: "N",
      owner: "SYSADMIN",
      comment: "",
      region: "eu-west-1",
      type: "EXTERNAL",
      cloud: "AWS",
      notification_channel: null,
      storage_integration: integration,
      endpoint: null,
      owner_role_type: "ROLE",
      directory_enabled: "N",
    };
  }

  private tableRow(t: Table): Row {
    return {
      created_on: "2026-01-01",
      name: t.name,
      database_name: t.db,
      schema_name: t.schema,
      invalid: "false",
      invalid_reason: null,
      owner: "SYSADMIN",
      comment: "",
      stage: `${t.db}.${t.schema}.${t.location}`,
      location: this.stageUrl(t),
      file_format_name: "",
      file_format_type: "PARQUET",
      cloud: "AWS",
      region: "eu-west-1",
      notification_channel: this.queueArn,
      last_refreshed_on: null,
      table_format: "NATIVE",
      last_refresh_details: null,
      owner_role_type: "ROLE",
    };
  }

  private stageUrl(t: Table): string {
    return this.stages.find((x) => x.db === t.db && x.schema === t.schema && x.name === t.location)?.url ?? "";
  }

  private descTable([db, schema, name]: string[]): Row[] {
    const t = this.tables.find((x) => x.db === db && x.schema === schema && x.name === name);
    if (!t) throw new Error(`SQL compilation error: Table '${db}.${schema}.${name}' does not exist or not authorized.`);
    const row = (name: string, type: string, kind: string, expression: string | null, comment: string | null): Row => ({
      name,
      type,
      kind,
      "null?": "Y",
      default: null,
      "primary key": "N",
      "unique key": "N",
      check: null,
      expression,
      comment,
      "policy name": null,
    });
    return [
      row("VALUE", "VARIANT", "COLUMN", null, "The value of this row"),
      ...t.columns.map((c) => row(c.name, describedType(c.type), "VIRTUAL", c.expr, null)),
    ];
  }

  private ddl(s: string): void {
    let m = new RegExp(`^CREATE STORAGE INTEGRATION (IF NOT EXISTS )?${QNAME} (.*)$`, "i").exec(s);
    if (m) return this.createIntegration(splitName(m[2]!)[0]!, m[3]!, !!m[1]);
    m = new RegExp(`^ALTER STORAGE INTEGRATION ${QNAME} SET (.*)$`, "i").exec(s);
    if (m) return this.alterIntegration(splitName(m[1]!)[0]!, m[2]!);
    m = new RegExp(`^CREATE SCHEMA IF NOT EXISTS ${QNAME}$`, "i").exec(s);
    if (m) return void this.schemas.add(splitName(m[1]!).join("."));
    m = new RegExp(`^CREATE FILE FORMAT IF NOT EXISTS ${QNAME} TYPE = PARQUET`, "i").exec(s);
    if (m) return this.createNamed(this.fileFormats, m[1]!, true);
    m = new RegExp(`^CREATE (OR REPLACE )?STAGE (IF NOT EXISTS )?${QNAME} URL = '([^']*)' STORAGE_INTEGRATION = ${QNAME}`, "i").exec(s);
    if (m) return this.createStage(m[3]!, m[4]!, splitName(m[5]!)[0]!, !!m[1]);
    m = new RegExp(`^CREATE (OR REPLACE )?EXTERNAL TABLE (IF NOT EXISTS )?${QNAME} \\(`, "i").exec(s);
    if (m) return this.createTable(s, m[3]!, !!m[1]);
    m = new RegExp(`^ALTER EXTERNAL TABLE ${QNAME} REFRESH$`, "i").exec(s);
    if (m) return this.refresh(this.table(splitName(m[1]!)));
    m = new RegExp(`^DROP (EXTERNAL TABLE|STAGE) IF EXISTS ${QNAME}$`, "i").exec(s);
    if (m) return this.drop(m[1]!.toUpperCase(), splitName(m[2]!));
    if (/^GRANT /i.test(s)) return void this.grants.push(s);
    throw new Error(`fake snowflake: unsupported statement: ${s}`);
  }

  private createIntegration(name: string, rest: string, ifNotExists: boolean): void {
    if (this.integrations.has(name)) {
      if (ifNotExists) return;
      throw new Error(`SQL compilation error: Object '${name}' already exists.`);
    }
    const role = /STORAGE_AWS_ROLE_ARN = '([^']*)'/i.exec(rest)?.[1] ?? "";
    if (role.includes("&{")) throw new Error("fake snowflake: unsubstituted SnowSQL variable in role ARN");
    const allowed = stringsIn(/STORAGE_ALLOWED_LOCATIONS = \(([^)]*)\)/i.exec(rest)?.[1] ?? "");
    this.integrations.set(name, { name, roleArn: role, allowed, externalId: `FAKE0001_SFCRole=2_${++this.created}abcdef=` });
  }

  private alterIntegration(name: string, rest: string): void {
    const i = this.integrations.get(name);
    if (!i) throw new Error(`SQL compilation error: Integration '${name}' does not exist or not authorized.`);
    const role = /STORAGE_AWS_ROLE_ARN = '([^']*)'/i.exec(rest)?.[1];
    if (role !== undefined) i.roleArn = role;
    const allowed = /STORAGE_ALLOWED_LOCATIONS = \(([^)]*)\)/i.exec(rest)?.[1];
    if (allowed !== undefined) i.allowed = stringsIn(allowed);
  }

  private qualify(q: string): Named {
    const parts = splitName(q);
    if (parts.length !== 3) throw new Error(`fake snowflake: expected a database.schema.name, got ${q}`);
    const [db, schema, name] = parts as [string, string, string];
    this.needDb(q);
    if (!this.schemas.has(`${db}.${schema}`))
      throw new Error(`SQL compilation error: Schema '${db}.${schema}' does not exist or not authorized.`);
    return { db, schema, name };
  }

  private createNamed(into: Named[], q: string, ifNotExists: boolean): void {
    const n = this.qualify(q);
    if (into.some((x) => x.db === n.db && x.schema === n.schema && x.name === n.name)) {
      if (ifNotExists) return;
      throw new Error(`SQL compilation error: Object '${n.name}' already exists.`);
    }
    into.push(n);
  }

  private createStage(q: string, url: string, integration: string, replace: boolean): void {
    if (!this.integrations.has(integration))
      throw new Error(`SQL compilation error: Integration '${integration}' does not exist or not authorized.`);
    const n = this.qualify(q);
    const at = this.stages.findIndex((x) => x.db === n.db && x.schema === n.schema && x.name === n.name);
    if (at >= 0 && !replace) return;
    if (at >= 0) this.stages.splice(at, 1);
    this.stages.push({ ...n, url });
  }

  private createTable(s: string, q: string, replace: boolean): void {
    const n = this.qualify(q);
    const open = s.indexOf("(", s.indexOf(q) + q.length);
    const { body, end } = parenBody(s, open);
    const columns = splitTop(body).map((def) => {
      const m = new RegExp(`^(${IDENT}) (.+?) AS \\((.*)\\)$`, "s").exec(def);
      if (!m) throw new Error(`fake snowflake: cannot parse column definition: ${def}`);
      return { name: unquote(m[1]!), type: m[2]!, expr: m[3]! };
    });
    const rest = s.slice(end + 1);
    const partitionBy = splitName(/PARTITION BY \(([^)]*)\)/i.exec(rest)?.[1] ?? "");
    const location = splitName(new RegExp(`LOCATION = @${QNAME}`, "i").exec(rest)?.[1] ?? "");
    if (location.length !== 3 || !this.stages.some((x) => [x.db, x.schema, x.name].join(".") === location.join("."))) {
      throw new Error(`SQL compilation error: Stage '${location.join(".")}' does not exist or not authorized.`);
    }
    for (const p of partitionBy)
      if (!columns.some((c) => c.name === p)) throw new Error(`SQL compilation error: invalid partition column ${p}`);
    const at = this.tables.findIndex((x) => x.db === n.db && x.schema === n.schema && x.name === n.name);
    if (at >= 0 && !replace) return;
    if (at >= 0) this.tables.splice(at, 1);
    const pattern = stringsIn(/PATTERN = ('(?:[^']|'')*')/i.exec(rest)?.[1] ?? "'.*'")[0]!;
    const table = { ...n, location: location[2]!, columns, partitionBy, pattern, registered: [] };
    this.tables.push(table);
    if (/REFRESH_ON_CREATE = TRUE/i.test(rest)) this.refresh(table);
  }

  private table([db, schema, name]: string[]): Table {
    const t = this.tables.find((x) => x.db === db && x.schema === schema && x.name === name);
    if (!t) throw new Error(`SQL compilation error: Table '${db}.${schema}.${name}' does not exist or not authorized.`);
    return t;
  }

  /**
   * Registers the stage's files that match PATTERN, as REFRESH (and REFRESH_ON_CREATE) do: the
   * pattern must match the whole path relative to the stage URL.
   */
  private refresh(t: Table): void {
    const url = this.stageUrl(t);
    const re = new RegExp(`^(?:${t.pattern})$`);
    t.registered = this.files.filter((f) => f.startsWith(url) && re.test(f.slice(url.length)));
  }

  /** The files an external table currently reads (full s3:// URLs). */
  registeredFiles(name: string): readonly string[] {
    return this.tables.find((t) => t.name === name)?.registered ?? [];
  }

  private drop(kind: string, [db, schema, name]: string[]): void {
    const list: Named[] = kind === "STAGE" ? this.stages : this.tables;
    const at = list.findIndex((x) => x.db === db && x.schema === schema && x.name === name);
    if (at >= 0) list.splice(at, 1);
  }
}
