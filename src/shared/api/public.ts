/** Paths under this prefix carry no platform credential: residents' reads and follow-up links (each route declares `security: []` and is listed in shared/auth/exceptions.ts). */
export const publicPathPrefix = "/v1/public/";
