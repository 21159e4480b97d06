import { z } from "@hono/zod-openapi";
import { factsSchema } from "./certificates.js";
import { certificateKinds, revocationReasons } from "./tables.js";

/** What a verification answers (JSON) and the page shows. */
export const invalidReasons = [
  "malformed",
  "not_a_certificate",
  "unknown_key",
  "signature",
  "expired",
  "not_yet_valid",
  "claims",
  "unknown",
  "revoked",
] as const;
export type InvalidReason = (typeof invalidReasons)[number];

export const verificationSchema = z
  .object({
    valid: z.boolean(),
    reason: z.enum(invalidReasons).optional().openapi({
      description:
        "Why it is not valid: not a JWS (`malformed`), another kind of token (`not_a_certificate`), signed by a key no longer (or never) published (`unknown_key`), altered (`signature`), past its validity (`expired`), issued by no record here (`unknown`), or `revoked`.",
    }),
    certificate: z
      .object({
        id: z.string().openapi({ example: "crt_01KDVDNA011AKWK3RC504FTYF8" }),
        kind: z.enum(certificateKinds),
        tenant: z.string().openapi({ example: "620902" }),
        issuedAt: z.string().openapi({ example: "2026-12-04T02:00:00.000Z" }),
        expiresAt: z.string().openapi({ example: "2027-03-04T02:00:00.000Z" }),
        facts: factsSchema.optional(),
      })
      .optional()
      .openapi({ description: "Present when the signature verifies; `facts` only when the certificate is valid." }),
    revokedAt: z.string().optional(),
    revocationReason: z.enum(revocationReasons).optional(),
  })
  .openapi("CertificateVerification", {
    example: {
      valid: true,
      certificate: {
        id: "crt_01KDVDNA011AKWK3RC504FTYF8",
        kind: "service_hours",
        tenant: "620902",
        issuedAt: "2026-12-04T02:00:00.000Z",
        expiresAt: "2027-03-04T02:00:00.000Z",
        facts: { authority: "肃州区", holder: { kind: "member", name: "张**" }, totalHours: 36.5 },
      },
    },
  });
export type Verification = z.infer<typeof verificationSchema>;
