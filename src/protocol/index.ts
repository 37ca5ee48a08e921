/** The v1 agent wire protocol (docs/connectivity.md#pull-mode-wire-protocol), shared by the agent and the reference control plane. */
export * from "./endpoints";
export * from "./common";
export * from "./job";
export * from "./result";
export * from "./events";
export * from "./registration";
export * from "./capped-body";
