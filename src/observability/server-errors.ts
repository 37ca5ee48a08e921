/**
 * What every Bun.serve listener of ours does with a handler that throws. Bun's default, even in the compiled
 * binary, is development mode: an HTML page carrying the error's message and stack. Ours answer a bare 500
 * and hand the error to the process's log instead.
 */
import type { Logger } from "./logger";

export interface ServerErrorOptions {
  development: false;
  error: (error: Error) => Response;
}

export function serverErrors(logger: Logger | undefined, listener: string): ServerErrorOptions {
  return {
    development: false,
    error: (error) => {
      logger?.error({ listener, err: error.message }, "request handler threw");
      return new Response("internal error\n", { status: 500 });
    },
  };
}
