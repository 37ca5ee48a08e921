/** RFC 8785 test vectors (§3.2.2 example, §3.2.3 sorting, Appendix B numbers) and the envelope rules of docs/connectivity.md#signed-jobs. */
import { describe, expect, test } from "bun:test";
import { canonicalJson, CanonicalizationError, jobSigningContent } from "../../../src/security/jcs";

describe("RFC 8785 vectors", () => {
  test("§3.2.2: the structured example canonicalises to the RFC's output", () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  test("§3.2.3: properties sort by UTF-16 code units", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  const numberVectors: [string, string][] = [
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ];

  test.each(numberVectors)("Appendix B: IEEE 754 %s serialises as %s", (bits, expected) => {
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, BigInt(`0x${bits}`));
    expect(canonicalJson(view.getFloat64(0))).toBe(expected);
  });

  test("non-finite numbers have no JSON form", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(CanonicalizationError);
    expect(() => canonicalJson({ a: Number.POSITIVE_INFINITY })).toThrow("a: number is not finite");
  });
});

describe("job signing content (docs/connectivity.md#signed-jobs)", () => {
  test("drops only `signature`, keeps unknown members and encryptedPayload", () => {
    const job = { signature: "x..y", kind: "apply", id: "j1", zeta: { b: 2, a: 1 }, encryptedPayload: "e" };
    expect(jobSigningContent(job)).toBe('{"encryptedPayload":"e","id":"j1","kind":"apply","zeta":{"a":1,"b":2}}');
  });

  test("refuses numbers outside the I-JSON safe range with the field path", () => {
    expect(() => jobSigningContent({ id: "j", payload: { spec: { replicas: 2 ** 53 } } })).toThrow("payload.spec.replicas");
    expect(jobSigningContent({ id: "j", n: 2 ** 53 - 1 })).toBe('{"id":"j","n":9007199254740991}');
  });
});
