/** What an engine concludes from its child's state: the Operation's next phase and why. */

export type EngineVerdict =
  | { phase: "Running"; reason: string; message: string }
  | { phase: "Succeeded"; reason: string; message: string; partialFailure?: string }
  | { phase: "Failed"; reason: string; message: string };

/** Progress, success and failure reasons of one template (operations.md §6.1). */
export interface EngineReasons {
  progress: string;
  success: string;
  failure: string;
}

export const running = (reasons: EngineReasons, message: string): EngineVerdict => ({ phase: "Running", reason: reasons.progress, message });
export const succeeded = (reasons: EngineReasons, message: string): EngineVerdict => ({ phase: "Succeeded", reason: reasons.success, message });
export const failed = (reasons: EngineReasons, message: string): EngineVerdict => ({ phase: "Failed", reason: reasons.failure, message });
