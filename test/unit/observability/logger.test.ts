import { expect, test } from "bun:test";
import { createLogger } from "../../../src/observability/logger";

test("credential fields are redacted while work-queue keys stay readable", () => {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (line: string) => void lines.push(line) } });
  logger.info({ key: "team-a/shop", token: "tok-123456", headers: { authorization: "Bearer abc123" }, secret: { data: { password: "hunter22" } } }, "pass");
  const entry = JSON.parse(lines[0] as string);
  expect(entry.key).toBe("team-a/shop");
  expect(entry.token).toBe("[REDACTED]");
  expect(entry.headers.authorization).toBe("[REDACTED]");
  expect(lines[0]).not.toContain("hunter22");
  expect(lines[0]).not.toContain("abc123");
});
