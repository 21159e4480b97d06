import { defineMachine } from "../../shared/store/state-machine.js";
import { deliveryStatuses, type webhookEndpoints } from "./tables.js";

type EndpointStatus = (typeof webhookEndpoints.$inferSelect)["status"];

/** An endpoint receives deliveries while active; disabled (by an admin, or by the dispatcher after persistent failure) it receives none. */
export const endpointMachine = defineMachine("webhook endpoint", ["active", "disabled"] as readonly EndpointStatus[], {
  disable: { from: ["active"], to: "disabled" },
  enable: { from: ["disabled"], to: "active" },
});

/**
 * pending → (sent) succeeded | failed (retry scheduled) → … → dead. The dispatcher moves deliveries
 * between these; the one client action is replay, which makes a finished or waiting delivery due
 * now, with the same webhook-id and a fresh retry schedule.
 */
export const deliveryMachine = defineMachine("webhook delivery", deliveryStatuses, {
  replay: { from: ["succeeded", "failed", "dead"], to: "pending" },
});
