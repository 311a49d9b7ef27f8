// The Glue jobs and the state machine that runs them, with their log groups.
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

function glueJob(ir: PipelineIR, name: string, script: GlueScript, logicalLogGroups: string[]): Resource {
  const g = ir.aws.glue;
  return {
    Type: "AWS::Glue::Job",
    DependsOn: logicalLogGroups,
    Properties: {
      Name: name,
      Description: `lakec ${ir.name}: ${script.role} one raw object (sources: ${ir.sources.map((s) => s.name).join(", ")})`,
      Role: getAtt(LOGICAL.glueRole, "Arn"),
      Command: { Name: "glueetl", PythonVersion: "3", ScriptLocation: `s3://${ir.aws.artifactsBucket}/${script.s3Key}` },
      GlueVersion: g.version,
      WorkerType: g.workerType,
      NumberOfWorkers: g.workers,
      Timeout: g.timeoutMinutes,
      MaxRetries: g.maxRetries,
      // Each raw object is its own run: a burst of files runs this many at once, and the state
      // machine retries ConcurrentRunsExceededException with backoff for the rest.
      ExecutionProperty: { MaxConcurrentRuns: g.maxConcurrentRuns },
      DefaultArguments: {
        "--job-language": "python",
        "--enable-metrics": "true",
        "--enable-continuous-cloudwatch-log": "true",
        "--enable-job-insights": "true",
        ...loggingArguments(ir),
        "--TempDir": `s3://${ir.aws.processedBucket}/${PROCESSED_PREFIX.tmp}`,
        "--processed_bucket": ref(LOGICAL.processedBucket),
      } as CfnValue,
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
    [LOGICAL.cleanJob]: glueJob(ir, names.cleanJob, script("clean"), logs),
    [LOGICAL.flattenJob]: glueJob(ir, names.flattenJob, script("flatten"), logs),
    [LOGICAL.stateMachineLogGroup]: logGroup(names.stateMachineLogGroup, ir.aws.logRetentionDays),
    [LOGICAL.stateMachine]: stateMachine(ir),
    [LOGICAL.deliveriesTable]: deliveriesTable(ir),
    [LOGICAL.arrivalsTable]: arrivalsTable(),
  };
}
