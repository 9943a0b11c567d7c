export { canonicalJson } from './canonical.js';
export { generateSigningKeyPair, keyId, KeyError, loadPrivateKey, loadPublicKey, readKeyMaterial, type GeneratedKeyPair } from './keys.js';
export { createManifest, listFiles, sha256File, type FileDigest, type Manifest } from './manifest.js';
export {
  describeFailure,
  IntegrityError,
  signManifest,
  signPaths,
  signatureValid,
  verifyIntegrity,
  verifyManifestFile,
  type ChangedFile,
  type IntegrityResult,
  type SignedManifest,
  type SignOptions,
  type VerifyOptions,
} from './signature.js';
export { isPinnedModelId, modelPinningViolation } from './model-pinning.js';
export { checkIntegrityAtStartup, integrityConfigSchema, pinnedModelViolation, type IntegrityConfig } from './startup.js';
