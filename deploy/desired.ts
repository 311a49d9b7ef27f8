// The desired state of every layer, computed from the IR with the targets' own functions, so
// `apply` deploys exactly what `lakec compile` writes for review.
import type { PipelineIR } from "../compiler/ir.js";
import { templateYaml } from "../targets/cloudformation/index.js";
import { PARAMETERS } from "../targets/cloudformation/names.js";
import { glueScripts } from "../targets/glue/index.js";
import { snowflakeObjects, type SnowflakeObjects } from "../targets/snowflake/index.js";
import { emitDbt, type UserDbtFiles } from "../targets/dbt/index.js";
import { emitAirflow } from "../targets/airflow/index.js";
import { parseTemplate, stackName, type AwsDesired } from "./diff-aws.js";
import type { BackfillDesired } from "./diff-backfill.js";
import type { LocalDesired } from "./diff-local.js";
import { fingerprint } from "./plan.js";
import { localDesired } from "./providers/local/desired.js";

/** The stack parameters that carry Snowflake's side of the trust and the auto-refresh queue. */
export interface SnowflakeWiring {
  readonly iamUserArn: string;
  readonly externalId: string;
  readonly queueArn: string;
}

export const WIRING_PARAMETERS = [PARAMETERS.snowflakeIamUserArn, PARAMETERS.snowflakeExternalId, PARAMETERS.snowflakeQueueArn] as const;

export function wiringParameters(w: SnowflakeWiring): Record<string, string> {
  return {
    [PARAMETERS.snowflakeIamUserArn]: w.iamUserArn,
    [PARAMETERS.snowflakeExternalId]: w.externalId,
    [PARAMETERS.snowflakeQueueArn]: w.queueArn,
  };
}

export interface Desired {
  readonly ir: PipelineIR;
  /** Changes whenever any compiled artifact changes: a saved plan is refused after that. */
  readonly hash: string;
  /** Parameters default to "" (the template's defaults); the planner fills in known wiring. */
  aws(parameters: Readonly<Record<string, string>>): AwsDesired;
  readonly snowflake: SnowflakeObjects;
  /** Files by path relative to the publish destination. */
  readonly dbt: ReadonlyMap<string, string>;
  readonly airflow: ReadonlyMap<string, string>;
  readonly local: LocalDesired;
  /** The dbt project folder and the hand-written files in it (models/custom/<pipeline>/, tests/<pipeline>/, macros/). */
  readonly dbtProject?: { readonly dir: string; readonly files: UserDbtFiles };
  readonly backfill: BackfillDesired;
}

function strip(prefix: string, files: readonly { path: string; contents: string }[]): Map<string, string> {
  return new Map(files.filter((f) => f.path.startsWith(prefix)).map((f) => [f.path.slice(prefix.length), f.contents]));
}

/** `dbtProject`: hand-written dbt files, published with the generated project and built locally. */
export function desiredState(ir: PipelineIR, dbtProject?: Desired["dbtProject"]): Desired {
  const templateBody = templateYaml(ir);
  const template = parseTemplate(templateBody);
  const scripts = glueScripts(ir).map((s) => ({ bucket: ir.aws.artifactsBucket, key: s.s3Key, body: s.contents }));
  const snowflake = snowflakeObjects(ir);
  const dbt = strip("dbt/", emitDbt(ir));
  const user = dbtProject?.files;
  for (const f of [...(user?.models ?? []), ...(user?.properties ?? []), ...(user?.tests ?? []), ...(user?.macros ?? [])])
    dbt.set(f.rel, f.text);
  const airflow = strip("airflow/", emitAirflow(ir));
  const local = localDesired(ir, user);
  const hash = fingerprint({ ir, templateBody, scripts, snowflake, dbt: [...dbt], airflow: [...airflow], local });
  return {
    ir,
    hash,
    aws: (parameters) => ({ stackName: stackName(ir.name, ir.environment?.name), templateBody, template, parameters, scripts }),
    snowflake,
    dbt,
    airflow,
    local,
    ...(dbtProject && { dbtProject }),
    backfill: {
      rawBucket: ir.aws.rawBucket,
      semantics: local.semantics,
      columnTypes: local.columnTypes,
      definitions: local.definitions.sources,
      mainTables: local.mainTables,
    },
  };
}
