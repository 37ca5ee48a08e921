/**
 * @peculiar/x509, set up for Web Crypto. Loaded with `await import("./x509")` only when a certificate
 * must be issued: importing it at start costs the operator about 4 MiB of idle memory.
 */
import "reflect-metadata"; // @peculiar/x509's tsyringe dependency throws without it (docs/development.md#pitfalls)
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };
