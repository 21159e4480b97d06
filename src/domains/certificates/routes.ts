import { createRouter } from "../../shared/api/openapi.js";
import { certificateRoutes as issued } from "./certificates.js";
import { certificateRevocationRoutes } from "./revocations.js";
import { certificateVerificationRoutes } from "./verify.js";

/** 无证明城市: certificates issued from the records, and their public verification. */
export const certificateRoutes = createRouter()
  .route("/", issued)
  .route("/", certificateVerificationRoutes)
  .route("/", certificateRevocationRoutes);
