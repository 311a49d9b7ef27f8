// The DynamoDB table the state machine claims each S3 event delivery in, so a duplicate delivery
// of one object version never runs the Glue jobs twice (targets/stepfunctions/dedupe.ts).
// One small item per raw object version; on-demand capacity, so a burst never throttles it.
import type { PipelineIR } from "../../compiler/ir.js";
import { DELIVERY_KEY_ATTRIBUTE } from "../stepfunctions/dedupe.js";
import { getAtt, type PolicyStatement, type Resource } from "./intrinsics.js";
import { LOGICAL, physicalNames } from "./names.js";

export function deliveriesTable(ir: PipelineIR): Resource {
  return {
    Type: "AWS::DynamoDB::Table",
    // Losing the table would let redelivered events run again; the data itself lives in S3.
    DeletionPolicy: "Retain",
    UpdateReplacePolicy: "Retain",
    Properties: {
      TableName: physicalNames(ir).deliveriesTable,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: DELIVERY_KEY_ATTRIBUTE, AttributeType: "S" }],
      KeySchema: [{ AttributeName: DELIVERY_KEY_ATTRIBUTE, KeyType: "HASH" }],
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    },
  };
}

/** The state machine may only add items, and only to this table. */
export function claimDeliveryStatement(): PolicyStatement {
  return { Sid: "ClaimDeliveries", Effect: "Allow", Action: "dynamodb:PutItem", Resource: getAtt(LOGICAL.deliveriesTable, "Arn") };
}
