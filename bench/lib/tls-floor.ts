/**
 * The floor under bench/webhook's direct figure: a bare Bun TLS server in its own process, serving the
 * operator's certificate, reading each body and answering a fixed allowed AdmissionReview. What the direct
 * p99 exceeds it by is the admission code's share; the rest is TLS, HTTP and the machine's scheduling.
 * Usage (spawned by bench/webhook.ts): bun bench/lib/tls-floor.ts <port>, cert and key PEM in
 * VWS_FLOOR_CERT / VWS_FLOOR_KEY; prints "ready" once listening.
 */
const answer = JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "bench", allowed: true } });
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.argv[2]),
  tls: { cert: process.env.VWS_FLOOR_CERT!, key: process.env.VWS_FLOOR_KEY! },
  fetch: async (request) => {
    await request.arrayBuffer();
    return new Response(answer, { headers: { "content-type": "application/json" } });
  },
});
console.log("ready");
process.on("SIGTERM", () => void server.stop(true).then(() => process.exit(0)));
