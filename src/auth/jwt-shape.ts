/** Kept apart from the verifier so the gateway loads `jose` only when JWTs are configured. */
export class JwtRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'JwtRejected';
  }
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function looksLikeJwt(token: string): boolean {
  return JWT_SHAPE.test(token);
}

/** What a verified token says about its bearer. */
export interface JwtIdentity {
  readonly subject: string;
  readonly tenant?: string;
  readonly roles: string[];
}

export interface TokenVerifier {
  verify(token: string): Promise<JwtIdentity>;
}
