import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A tenant's HTTPS endpoint subscribed to event types; its signing secret is sealed like personal data. */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    url: text("url").notNull(),
    description: text("description"),
    eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull(),
    /** whsec_… sealed with the PII vault: it must be readable to sign, so it is encrypted, not hashed. */
    secretSealed: text("secret_sealed").notNull(),
    status: text("status", { enum: ["active", "disabled"] }).notNull(),
    /** Deliveries that went dead in a row, with no successful delivery between them; reset by any success. */
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    disabledAt: text("disabled_at"),
    createdBy: text("created_by").notNull(),
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("webhook_endpoints_tenant_id_idx").on(t.tenantId, t.id),
    index("webhook_endpoints_tenant_status_idx").on(t.tenantId, t.status),
  ],
);

export const deliveryStatuses = ["pending", "succeeded", "failed", "dead"] as const;

/** One event to one endpoint; `id` is the Standard Webhooks `webhook-id`, stable across retries. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: deliveryStatuses }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: text("next_attempt_at").notNull(),
    /** A worker's claim on the delivery until this time, so two dispatchers never send it at once. */
    leaseUntil: text("lease_until"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    deliveredAt: text("delivered_at"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
    index("webhook_deliveries_tenant_endpoint_idx").on(t.tenantId, t.endpointId, t.id),
    // The deliveries list filters one endpoint's deliveries by status (e.g. the dead ones).
    index("webhook_deliveries_tenant_endpoint_status_idx").on(t.tenantId, t.endpointId, t.status, t.id),
    // Fan-out is idempotent: one delivery per event and endpoint, however often dispatch runs.
    uniqueIndex("webhook_deliveries_event_endpoint_uq").on(t.eventId, t.endpointId),
  ],
);
