// Types for the parts of prom-client imported one by one: its index also loads the push gateway,
// summaries and the default process metrics, ~10 MiB of the operator's idle RSS.
declare module "prom-client/lib/counter" {
  import { Counter } from "prom-client";
  export = Counter;
}
declare module "prom-client/lib/gauge" {
  import { Gauge } from "prom-client";
  export = Gauge;
}
declare module "prom-client/lib/histogram" {
  import { Histogram } from "prom-client";
  export = Histogram;
}
declare module "prom-client/lib/registry" {
  import { Registry } from "prom-client";
  export = Registry;
}
declare module "prom-client/lib/defaultMetrics" {
  import { collectDefaultMetrics } from "prom-client";
  export = collectDefaultMetrics;
}
