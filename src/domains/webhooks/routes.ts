import { createRouter } from "../../shared/api/openapi.js";
import { deliveryRoutes } from "./deliveries.js";
import { endpointRoutes } from "./endpoints.js";

/** Outbound webhooks: endpoint subscriptions and their deliveries (the dispatcher is in dispatcher.ts). */
export const webhookRoutes = createRouter().route("/", endpointRoutes).route("/", deliveryRoutes);
