import { describe, expect, test } from "bun:test";
import {
  ApplicationInstanceConditionType,
  ApplicationInstanceReason,
  ClusterConditionType,
  ClusterReason,
  OperationConditionType,
  OperationReason,
} from "../../../src/api/condition-vocabulary";
import { CONDITION_REASON, CONDITION_TYPE } from "../../../src/api/patterns";

// A reason or type the CRD rejects would make every status write of that condition fail.
describe("condition vocabulary", () => {
  test.each(Object.entries({ ApplicationInstanceConditionType, OperationConditionType, ClusterConditionType }))(
    "%s values are valid condition types named by their key",
    (_name, types) => {
      for (const [key, value] of Object.entries<string>(types)) {
        expect(value).toBe(key);
        expect(value).toMatch(CONDITION_TYPE);
      }
    },
  );

  test.each(Object.entries({ ApplicationInstanceReason, OperationReason, ClusterReason }))(
    "%s values are valid reasons named by their key",
    (_name, reasons) => {
      for (const [key, value] of Object.entries<string>(reasons)) {
        expect(value).toBe(key);
        expect(value).toMatch(CONDITION_REASON);
      }
    },
  );

  test("the condition types of the specs", () => {
    expect(Object.values(ApplicationInstanceConditionType)).toEqual([
      "Ready", "Reconciling", "Degraded", "Suspended", "Blocked", "Deleting",
    ]);
    expect(Object.values(OperationConditionType)).toEqual([
      "Accepted", "Running", "Succeeded", "Failed", "Cancelled", "Blocked", "Degraded",
    ]);
    expect(Object.values(ClusterConditionType)).toEqual([
      "Connected", "Disconnected", "Authenticated", "ControllersHealthy", "BufferOverflow", "PayloadsVerified",
      "PayloadsEncrypted", "Ignored",
    ]);
  });
});
