/** The v1 agent wire protocol (connectivity.md §2), shared by the agent and the reference control plane. */
export * from "./endpoints";
export * from "./common";
export * from "./job";
export * from "./result";
export * from "./events";
export * from "./registration";
