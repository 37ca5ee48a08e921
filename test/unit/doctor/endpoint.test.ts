import { expect, test } from "bun:test";
import { endpointAddress } from "../../../src/doctor/probe";

test("a webhook endpoint's address: URL host and port (443 by default, IPv6 unbracketed) or the Service's cluster name", () => {
  expect(endpointAddress({ url: "https://127.0.0.1:9443/validate" })).toEqual({ host: "127.0.0.1", port: 9443 });
  expect(endpointAddress({ url: "https://hooks.example.com/validate" })).toEqual({ host: "hooks.example.com", port: 443 });
  expect(endpointAddress({ url: "https://[::1]:8443/v" })).toEqual({ host: "::1", port: 8443 });
  expect(endpointAddress({ service: { namespace: "vworkspace-system", name: "vworkspace-operator-webhook", port: 443 } })).toEqual({ host: "vworkspace-operator-webhook.vworkspace-system.svc", port: 443 });
});
