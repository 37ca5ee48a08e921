/** Job security (docs/connectivity.md#signed-jobs, docs/connectivity.md#encrypted-payloads): JCS, detached JWS, JWE, keys and the mode decisions. */
export * from "./jcs";
export * from "./trusted-keys";
export * from "./jws";
export * from "./modes";
export * from "./keys";
export * from "./jwe";
export * from "./fingerprint";
export * from "./screen";
