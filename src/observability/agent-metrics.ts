/** The agent's metrics (docs/reference/metrics.md), registered in the operator's registry. Labels are fixed enumerations. */
import type { Registry } from "prom-client";
import Counter from "prom-client/lib/counter";
import Gauge from "prom-client/lib/gauge";
import Histogram from "prom-client/lib/histogram";

export type RequestEndpoint = "jobs" | "ack" | "status" | "result" | "events" | "heartbeat" | "register" | "rotate";

export class AgentMetrics {
  readonly jobLag: Gauge;
  readonly connectivityState: Gauge<"mode">;
  readonly appliedJobs: Counter;
  readonly bufferOccupancy: Gauge;
  readonly credentialAge: Gauge;
  readonly jobs: Counter<"kind" | "outcome">;
  readonly rejections: Counter<"code">;
  readonly requests: Counter<"endpoint" | "code">;
  readonly requestDuration: Histogram<"endpoint">;
  readonly paused: Gauge;
  readonly heartbeatMisses: Gauge;
  readonly eventsSent: Counter;
  readonly eventsDropped: Counter<"reason">;
  readonly resyncs: Counter<"trigger">;
  readonly verifications: Counter<"result">;
  readonly decryptions: Counter<"result">;
  readonly rotations: Counter<"trigger" | "result">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.jobLag = new Gauge({ name: "vworkspace_operator_pull_job_lag_seconds", help: "Age of the oldest fetched job without a result", registers });
    this.connectivityState = new Gauge({ name: "vworkspace_operator_connectivity_state", help: "1 connected, 0 reconnecting, -1 disconnected/error/pending", labelNames: ["mode"], registers });
    this.appliedJobs = new Counter({ name: "vworkspace_operator_applied_jobs_total", help: "Jobs with outcome succeeded", registers });
    this.bufferOccupancy = new Gauge({ name: "vworkspace_operator_event_buffer_occupancy", help: "Events in the buffer", registers });
    this.credentialAge = new Gauge({ name: "vworkspace_operator_credential_age_seconds", help: "Seconds since the token was issued", registers });
    this.jobs = new Counter({ name: "vworkspace_operator_jobs_total", help: "Job results by kind and outcome", labelNames: ["kind", "outcome"], registers });
    this.rejections = new Counter({ name: "vworkspace_operator_job_rejections_total", help: "Jobs not applied, by error code", labelNames: ["code"], registers });
    this.requests = new Counter({ name: "vworkspace_operator_agent_requests_total", help: "Requests to the control plane", labelNames: ["endpoint", "code"], registers });
    this.requestDuration = new Histogram({
      name: "vworkspace_operator_agent_request_duration_seconds",
      help: "Control-plane request latency (long poll included)",
      labelNames: ["endpoint"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 240],
      registers,
    });
    this.paused = new Gauge({ name: "vworkspace_operator_agent_paused", help: "1 while paused on 401/403/expiry/TLS config", registers });
    this.heartbeatMisses = new Gauge({ name: "vworkspace_operator_heartbeat_missed_consecutive", help: "Current heartbeat miss streak", registers });
    this.eventsSent = new Counter({ name: "vworkspace_operator_events_sent_total", help: "Events accepted by the control plane", registers });
    this.eventsDropped = new Counter({ name: "vworkspace_operator_events_dropped_total", help: "Events dropped", labelNames: ["reason"], registers });
    this.resyncs = new Counter({ name: "vworkspace_operator_event_resyncs_total", help: "Condition snapshots sent", labelNames: ["trigger"], registers });
    this.verifications = new Counter({ name: "vworkspace_operator_payload_verifications_total", help: "Job signature checks", labelNames: ["result"], registers });
    this.decryptions = new Counter({ name: "vworkspace_operator_payload_decryptions_total", help: "Job payload decryptions", labelNames: ["result"], registers });
    this.rotations = new Counter({ name: "vworkspace_operator_credential_rotations_total", help: "Credential rotations", labelNames: ["trigger", "result"], registers });
  }
}
