import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { eventCatalogue, eventTypes, testEventType } from "./catalogue.js";

const headers = z.object({
  "webhook-id": z.string().openapi({
    param: { name: "webhook-id", in: "header" },
    description: "The message id: the same on every retry and replay of this delivery. De-duplicate on it.",
    example: "whmsg_01KDVDNA011AKWK3RC504FTYF8",
  }),
  "webhook-timestamp": z
    .string()
    .regex(/^\d+$/)
    .openapi({
      param: { name: "webhook-timestamp", in: "header" },
      description:
        "Unix seconds of this attempt. Reject messages more than a few minutes from your clock (replay protection).",
      example: "1795683600",
    }),
  "webhook-signature": z.string().openapi({
    param: { name: "webhook-signature", in: "header" },
    description:
      'Space-separated `v1,<base64>` signatures: base64 HMAC-SHA256, keyed with the base64-decoded part of the secret after `whsec_`, of `"<webhook-id>.<webhook-timestamp>.<raw body>"`. Compare in constant time.',
    example: "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
  }),
});

/**
 * The `webhooks` section of the OpenAPI 3.1 document: one entry per catalogued event type, a POST
 * of the Standard Webhooks envelope with that type's `data`, signed in the three headers.
 */
export function registerWebhookDocs(app: OpenAPIHono<any>) {
  for (const type of eventTypes) {
    const { summary, data } = eventCatalogue[type];
    app.openAPIRegistry.registerWebhook({
      method: "post",
      path: type,
      operationId: `on${type
        .split(/[._]/)
        .map((w) => w[0]!.toUpperCase() + w.slice(1))
        .join("")}`,
      tags: ["webhooks"],
      summary,
      description: `${type === testEventType ? "Sent to one endpoint on request" : `Sent to endpoints subscribed to \`${type}\``}. Answer 2xx within 10 s; anything else (or a redirect) is retried with exponential backoff for about 18 hours.`,
      // No credential is sent: the receiver authenticates the message by its signature headers.
      security: [],
      request: {
        headers,
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z.object({
                type: z.literal(type),
                timestamp: z
                  .string()
                  .openapi({ description: "When the event happened (ISO 8601).", example: "2026-11-26T09:00:00.000Z" }),
                data,
              }),
            },
          },
        },
      },
      responses: {
        200: { description: "Received. Any 2xx will do; the body is ignored." },
        default: { description: "Any other answer, or none within 10 s: the delivery is retried." },
      },
    });
  }
}
