import { genericProfile } from './generic.js';
import { openclawProfile } from './openclaw.js';
import type { ToolPolicyProfile } from './types.js';

export type { ToolPolicyProfile } from './types.js';
export { genericProfile } from './generic.js';
export { openclawProfile } from './openclaw.js';

/** No built-in rules: only the operator's, unmatched tools allowed, analyzers only where a rule asks. */
export const noneProfile: ToolPolicyProfile = {
  ...genericProfile,
  name: 'none',
  description: "Only the operator's rules; unmatched tools allowed.",
  rules: [],
  highRisk: [],
};

export const PROFILE_BY_NAME: Readonly<Record<'openclaw' | 'generic' | 'none', ToolPolicyProfile>> = { openclaw: openclawProfile, generic: genericProfile, none: noneProfile };
