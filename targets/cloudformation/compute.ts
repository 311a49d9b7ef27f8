// The Glue jobs, the state machine that runs clean and flatten, the compaction job's schedule,
// and their log groups.
import type { PipelineIR } from "../../compiler/ir.js";
import type { GlueScript } from "../glue/index.js";
import { PROCESSED_PREFIX } from "../glue/layout.js";
import { ARRIVALS, buildDefinition, SUBSTITUTIONS } from "../stepfunctions/index.js";
import { LOGICAL, physicalNames } from "./names.js";
import { getAtt, ref, type CfnValue, type Resource, type Resources } from "./intrinsics.js";
import { deliveriesTable } from "./deliveries.js";

const logGroup = (name: string, days: number): Resource => ({
  Type: "AWS::Logs::LogGroup",
  DeletionPolicy: "Delete",
  UpdateReplacePolicy: "Delete",
  Properties: { LogGroupName: name, RetentionInDays: days },
});

/** Glue 5 takes a log-group prefix (and appends /error, /output); earlier versions one group. */
function loggingArguments(ir: PipelineIR): Record<string, string> {
  const prefix = physicalNames(ir).glueLogGroupPrefix;
  const major = Number.parseFloat(ir.aws.glue.version);
  return major >= 5 ? { "--custom-logGroup-prefix": prefix } : { "--continuous-log-logGroup": `${prefix}/error` };
}

interface JobShape {
  readonly role: string;
  readonly maxConcurrentRuns: number;
  readonly description: string;
  readonly arguments: Record<string, CfnValue>;
}

function glueJob(ir: PipelineIR, name: string, script: GlueScript, logicalLogGroups: string[], shape: JobShape): Resource {
  const g = ir.aws.glue;
  return {
    Type: "AWS::Glue::Job",
    DependsOn: logicalLogGroups,
    Properties: {
      Name: name,
      Description: shape.description,
      Role: getAtt(shape.role, "Arn"),
      Command: { Name: "glueetl", PythonVersion: "3", ScriptLocation: `s3://${ir.aws.artifactsBucket}/${script.s3Key}` },
      GlueVersion: g.version,
      WorkerType: g.workerType,
      NumberOfWorkers: g.workers,
      Timeout: g.timeoutMinutes,
      MaxRetries: g.maxRetries,
      ExecutionProperty: { MaxConcurrentRuns: shape.maxConcurrentRuns },
      DefaultArguments: {
        "--job-language": "python",
        "--enable-metrics": "true",
        "--enable-continuous-cloudwatch-log": "true",
        "--enable-job-insights": "true",
        ...loggingArguments(ir),
        "--TempDir": `s3://${ir.aws.processedBucket}/${PROCESSED_PREFIX.tmp}`,
        "--processed_bucket": ref(LOGICAL.processedBucket),
        ...shape.arguments,
      } as CfnValue,
    },
  };
}

/** One raw object per run (clean, flatten): a burst runs this many at once, and the state machine retries ConcurrentRunsExceededException with backoff for the rest. */
function perObjectJob(ir: PipelineIR, role: "clean" | "flatten", args: Record<string, CfnValue> = {}): JobShape {
  return {
    role: LOGICAL.glueRole,
    maxConcurrentRuns: ir.aws.glue.maxConcurrentRuns,
    description: `lakec ${ir.name}: ${role} one raw object (sources: ${ir.sources.map((s) => s.name).join(", ")})`,
    arguments: args,
  };
}

/**
 * The compaction job and its schedule. One run at a time (a run that would overlap the previous
 * one is refused by Glue); the per-source lease (targets/glue/packed-py.ts) keeps it from packing
 * a partition while a flatten run writes it. A Glue SCHEDULED trigger starts it: Glue's own
 * scheduler needs no role of its own (an EventBridge Scheduler target would need one allowed
 * glue:StartJobRun), and it keeps the run history beside the job's.
 */
function compactResources(ir: PipelineIR, script: GlueScript, logs: string[]): Resources {
  const names = physicalNames(ir);
  return {
    [LOGICAL.compactJob]: glueJob(ir, names.compactJob, script, logs, {
      role: LOGICAL.compactRole,
      maxConcurrentRuns: 1,
      description: `lakec ${ir.name}: packs table partitions holding more than ${ir.aws.glue.compactAbove} Parquet objects into at most 2 (aws.glue.compact_above)`,
      arguments: { "--leases_table": ref(LOGICAL.leasesTable) },
    }),
    [LOGICAL.compactTrigger]: {
      Type: "AWS::Glue::Trigger",
      Properties: {
        Name: names.compactTrigger,
        Description: `lakec ${ir.name}: runs the compaction job (aws.glue.compact_schedule, UTC)`,
        Type: "SCHEDULED",
        Schedule: ir.aws.glue.compactSchedule,
        StartOnCreation: true,
        Actions: [{ JobName: ref(LOGICAL.compactJob) }],
      },
    },
    [LOGICAL.leasesTable]: leasesTable(ir),
  };
}

/**
 * The per-source leases of the flatten and compaction jobs: one small item per source. A lease
 * expires with its holder's job timeout, so the table holds nothing worth keeping: deleted with
 * the stack. Point-in-time recovery costs nothing at this size and is Control Tower's rule.
 */
function leasesTable(ir: PipelineIR): Resource {
  return {
    Type: "AWS::DynamoDB::Table",
    DeletionPolicy: "Delete",
    UpdateReplacePolicy: "Delete",
    Properties: {
      TableName: physicalNames(ir).leasesTable,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    },
  };
}

function stateMachine(ir: PipelineIR): Resource {
  const names = physicalNames(ir);
  return {
    Type: "AWS::StepFunctions::StateMachine",
    Properties: {
      StateMachineName: names.stateMachine,
      StateMachineType: "STANDARD",
      RoleArn: getAtt(LOGICAL.stateMachineRole, "Arn"),
      // The same definition as stepfunctions/state-machine.asl.json.
      Definition: buildDefinition(ir) as CfnValue,
      DefinitionSubstitutions: {
        [SUBSTITUTIONS.cleanJobName]: ref(LOGICAL.cleanJob),
        [SUBSTITUTIONS.flattenJobName]: ref(LOGICAL.flattenJob),
        [SUBSTITUTIONS.alertTopicArn]: ref(LOGICAL.alertTopic),
        [SUBSTITUTIONS.deliveriesTableName]: ref(LOGICAL.deliveriesTable),
        [SUBSTITUTIONS.arrivalsTableName]: ref(LOGICAL.arrivalsTable),
      },
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: "ALL",
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt(LOGICAL.stateMachineLogGroup, "Arn") } }],
      },
    },
  };
}

/**
 * The pipeline's arrival order (docs/language.md): a counter item and one item per raw object
 * version, written only by the state machine. Retained on stack deletion and point-in-time
 * recoverable: losing it would let a reprocessed file outrank newer ones.
 */
function arrivalsTable(): Resource {
  return {
    Type: "AWS::DynamoDB::Table",
    DeletionPolicy: "Retain",
    UpdateReplacePolicy: "Retain",
    Properties: {
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: ARRIVALS.partitionKey, AttributeType: "S" }],
      KeySchema: [{ AttributeName: ARRIVALS.partitionKey, KeyType: "HASH" }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
    },
  };
}

export function computeResources(ir: PipelineIR, scripts: readonly GlueScript[]): Resources {
  const names = physicalNames(ir);
  const script = (role: GlueScript["role"]): GlueScript => {
    const s = scripts.find((x) => x.role === role);
    if (!s) throw new Error(`Glue target emitted no ${role} script for pipeline '${ir.name}'`);
    return s;
  };
  const logs = [LOGICAL.glueErrorLogGroup, LOGICAL.glueOutputLogGroup];
  return {
    [LOGICAL.glueErrorLogGroup]: logGroup(`${names.glueLogGroupPrefix}/error`, ir.aws.logRetentionDays),
    [LOGICAL.glueOutputLogGroup]: logGroup(`${names.glueLogGroupPrefix}/output`, ir.aws.logRetentionDays),
    [LOGICAL.cleanJob]: glueJob(ir, names.cleanJob, script("clean"), logs, perObjectJob(ir, "clean")),
    [LOGICAL.flattenJob]: glueJob(
      ir,
      names.flattenJob,
      script("flatten"),
      logs,
      perObjectJob(ir, "flatten", { "--leases_table": ref(LOGICAL.leasesTable) }),
    ),
    ...compactResources(ir, script("compact"), logs),
    [LOGICAL.stateMachineLogGroup]: logGroup(names.stateMachineLogGroup, ir.aws.logRetentionDays),
    [LOGICAL.stateMachine]: stateMachine(ir),
    [LOGICAL.deliveriesTable]: deliveriesTable(ir),
    [LOGICAL.arrivalsTable]: arrivalsTable(),
  };
}
