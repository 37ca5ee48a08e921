/** The control plane's Ed25519 signing keys: one active, every earlier one still published in the JWKS. */
import type { Database } from "bun:sqlite";
import { importJWK, type CryptoKey as JoseCryptoKey } from "jose";
import { generateSigningKey } from "../../security/keys";

export interface ActiveSigningKey {
  kid: string;
  alg: "EdDSA";
  privateKey: JoseCryptoKey | Uint8Array;
}

export class SigningKeyStore {
  #active: ActiveSigningKey | undefined;

  constructor(private readonly db: Database) {}

  /** The active key, generating the first one when the database has none. */
  async active(): Promise<ActiveSigningKey> {
    if (this.#active) return this.#active;
    let row = this.db.query<{ kid: string; private_jwk: string }, []>("SELECT kid, private_jwk FROM signing_keys WHERE active = 1").get();
    if (!row) {
      await this.rotate();
      row = this.db.query<{ kid: string; private_jwk: string }, []>("SELECT kid, private_jwk FROM signing_keys WHERE active = 1").get();
    }
    if (!row) throw new Error("signing key store: no active key after generation");
    this.#active = { kid: row.kid, alg: "EdDSA", privateKey: await importJWK(JSON.parse(row.private_jwk), "EdDSA") };
    return this.#active;
  }

  /** Generates a new active key; the previous one stays published so jobs it signed still verify. */
  async rotate(): Promise<string> {
    const key = await generateSigningKey();
    this.db.transaction(() => {
      this.db.query("UPDATE signing_keys SET active = 0").run();
      this.db
        .query("INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at, active) VALUES (?, ?, ?, ?, ?, 1)")
        .run(key.kid, key.alg, JSON.stringify(key.privateJwk), JSON.stringify(key.publicJwk), Date.now());
    })();
    this.#active = undefined;
    return key.kid;
  }

  jwks(): { keys: Record<string, unknown>[] } {
    const rows = this.db.query<{ public_jwk: string }, []>("SELECT public_jwk FROM signing_keys ORDER BY created_at").all();
    return { keys: rows.map((row) => JSON.parse(row.public_jwk) as Record<string, unknown>) };
  }
}
