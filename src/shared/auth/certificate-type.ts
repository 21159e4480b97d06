/**
 * The protected-header `typ` of verifiable certificates (无证明城市), in a module of its own so that
 * both the certificate keys (./certificate-keys.ts) and the API's token verifier (./jwt.ts), which
 * refuses it by name, can import it.
 */
export const certificateType = "hexi-cert+jwt";
/** The `aud` of every certificate: what a certificate verifier (ours or anyone's) checks. */
export const certificateAudience = "hexi-certificate";
/** The `typ` of a signed page of the revocation list: signed by the certificate keys, never a certificate nor a credential. */
export const revocationListType = "hexi-revocations+jwt";
