import { GuardRegistry } from '../core/index.js';
import { injectionGuardFactory } from './injection/index.js';
import { invisibleTextGuardFactory } from './invisible/index.js';
import { limitsGuardFactory } from './limits/index.js';
import { linksGuardFactory } from './links/index.js';
import { moderationGuardFactory } from './moderation/index.js';
import { patternsGuardFactory } from './patterns/index.js';
import { piiGuardFactory } from './pii/index.js';
import { secretsGuardFactory } from './secrets/index.js';
import { toolCallsGuardFactory } from './toolcalls/index.js';

/** Every guard family ClawGuard ships. Adding a family: one folder, one line here. */
export function builtinGuards(): GuardRegistry {
  return new GuardRegistry()
    .register(limitsGuardFactory)
    .register(patternsGuardFactory)
    .register(invisibleTextGuardFactory)
    .register(injectionGuardFactory)
    .register(toolCallsGuardFactory)
    .register(piiGuardFactory)
    .register(secretsGuardFactory)
    .register(moderationGuardFactory)
    .register(linksGuardFactory);
}
