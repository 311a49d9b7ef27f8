// The Snowflake target: external tables over the processed Parquet, metadata only (no COPY INTO).
import type { EmittedFile, PipelineIR } from "../../compiler/ir.js";
import { ddlFiles, renderDdlFile } from "./ddl.js";
import { snowflakeObjects } from "./objects.js";

export { snowflakeObjects, substituteAccountId, AWS_ACCOUNT_ID_VARIABLE } from "./objects.js";
export type { SnowflakeObjects, ExternalTableSpec, StageSpec, VirtualColumn } from "./objects.js";

/** Files under `snowflake/`, numbered in the order they must run. */
export function emitSnowflake(ir: PipelineIR): EmittedFile[] {
  return ddlFiles(snowflakeObjects(ir)).map((f) => ({ path: `snowflake/${f.name}`, contents: renderDdlFile(ir, f) }));
}

export const snowflakeTarget = {
  name: "snowflake",
  description: "Snowflake storage integration, stages and external tables over the processed Parquet",
  emit: emitSnowflake,
};
