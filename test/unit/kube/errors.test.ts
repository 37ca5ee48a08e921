import { describe, expect, test } from "bun:test";
import { ApplyConflictError, parseConflicts } from "../../../src/kube/apply";
import {
  KubeApiError,
  KubeTimeoutError,
  KubeTransportError,
  apiStatus,
  classifyError,
  parseStatus,
  type ErrorClass,
} from "../../../src/kube/errors";

const request = { verb: "get", path: "/api/v1/namespaces/ns/secrets/db" };

function apiError(code: number, reason = "", message = "boom") {
  return new KubeApiError(code, { kind: "Status", code, reason, message }, request);
}

describe("classifyError", () => {
  test.each([
    [409, "Conflict", "conflict"],
    [409, "AlreadyExists", "alreadyExists"],
    [404, "NotFound", "notFound"],
    [410, "Expired", "gone"],
    [410, "Gone", "gone"],
    [403, "Forbidden", "forbidden"],
    [401, "Unauthorized", "forbidden"],
    [422, "Invalid", "invalid"],
    [400, "BadRequest", "invalid"],
    [504, "Timeout", "timeout"],
    [500, "ServerTimeout", "timeout"],
    [408, "", "timeout"],
    [500, "InternalError", "other"],
    [429, "TooManyRequests", "other"],
  ] as Array<[number, string, ErrorClass]>)("HTTP %d %s → %s", (code, reason, expected) => {
    expect(classifyError(apiError(code, reason))).toBe(expected);
  });

  test("Bun transport errors are plain TypeErrors classified by .code", () => {
    for (const code of ["ECONNREFUSED", "ECONNRESET", "EPROTO", "SELF_SIGNED_CERT_IN_CHAIN", "CERT_HAS_EXPIRED"]) {
      const raw = Object.assign(new TypeError(`${code}: failed`), { code });
      expect(classifyError(raw)).toBe("transport");
      expect(classifyError(new KubeTransportError(code, request, raw))).toBe("transport");
    }
  });

  test("deadlines are timeouts, plain aborts and unknown errors are other", () => {
    expect(classifyError(new KubeTimeoutError(request, 30_000))).toBe("timeout");
    expect(classifyError(new DOMException("The operation timed out.", "TimeoutError"))).toBe("timeout");
    expect(classifyError(new DOMException("The operation was aborted.", "AbortError"))).toBe("other");
    expect(classifyError(new Error("what"))).toBe("other");
    expect(classifyError("a string")).toBe("other");
    expect(classifyError(undefined)).toBe("other");
  });

  test("client-node ApiException: code plus a string body, JSON or not", () => {
    const status = JSON.stringify({ kind: "Status", code: 409, reason: "AlreadyExists", message: "exists" });
    expect(classifyError({ code: 409, body: status })).toBe("alreadyExists");
    expect(classifyError({ code: 404, body: "<html>not found</html>" })).toBe("notFound");
    expect(apiStatus({ code: 502, body: "Bad Gateway" })).toEqual({ code: 502 });
  });
});

describe("error content", () => {
  test("names verb, path, status, reason and the server message", () => {
    const err = apiError(403, "Forbidden", 'secrets "db" is forbidden');
    expect(err.message).toBe('get /api/v1/namespaces/ns/secrets/db: 403 Forbidden: secrets "db" is forbidden');
    expect(err.serverMessage).toBe('secrets "db" is forbidden');
    expect(apiStatus(err)).toMatchObject({ code: 403, reason: "Forbidden", message: 'secrets "db" is forbidden' });
  });

  test("a body that is not a Status yields no message beyond the code", () => {
    const err = new KubeApiError(502, parseStatus("<html>proxy</html>"), request);
    expect(err.message).toBe("get /api/v1/namespaces/ns/secrets/db: 502: HTTP 502");
  });

  test("transport errors keep the original as cause and the code", () => {
    const raw = Object.assign(new TypeError("ECONNREFUSED: Unable to connect"), { code: "ECONNREFUSED" });
    const err = new KubeTransportError("ECONNREFUSED", request, raw);
    expect(err.code).toBe("ECONNREFUSED");
    expect(err.cause).toBe(raw);
    expect(err.message).toContain("/api/v1/namespaces/ns/secrets/db");
  });
});

describe("apply conflicts", () => {
  test("each FieldManagerConflict cause becomes a field and its manager", () => {
    const causes = [
      { reason: "FieldManagerConflict", message: 'conflict with "manager-a"', field: ".data.owned" },
      { reason: "FieldManagerConflict", message: 'conflict with "kubectl-edit" using v1', field: ".spec.interval" },
      { reason: "FieldValueInvalid", message: "other", field: ".x" },
    ];
    expect(parseConflicts(causes)).toEqual([
      { field: ".data.owned", manager: "manager-a" },
      { field: ".spec.interval", manager: "kubectl-edit" },
    ]);
    const conflict = new ApplyConflictError(
      new KubeApiError(409, { reason: "Conflict", message: "Apply failed with 1 conflict", details: { causes } }, request),
      parseConflicts(causes),
    );
    expect(classifyError(conflict)).toBe("conflict");
    expect(conflict).toBeInstanceOf(KubeApiError);
  });
});
