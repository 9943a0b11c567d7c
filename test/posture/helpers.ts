import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { Command } from 'commander';
import { registerPostureCommands } from '../../src/cli/commands/posture.js';

/** Validates against the SARIF 2.1.0 schema as shipped by @microsoft/jest-sarif (draft-04, rtm.5). */
export function sarifValidator() {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('@microsoft/jest-sarif/package.json'));
  const schema = JSON.parse(readFileSync(join(pkg, 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json'), 'utf8'));
  // CommonJS packages: under NodeNext their default export is `module.exports`, whose `.default` is the class.
  const Ajv = AjvDraft04.default;
  const addFormats = ajvFormats.default;
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

/** Runs the posture commands in-process and returns what they wrote and the exit code they set. */
export async function runPosture(args: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
  let out = '';
  let err = '';
  const program = new Command().exitOverride().configureOutput({ writeOut: (t) => void (out += t), writeErr: (t) => void (err += t) });
  registerPostureCommands(program, { out: (t) => void (out += t), err: (t) => void (err += t) });
  process.exitCode = undefined;
  await program.parseAsync(args, { from: 'user' });
  const code = typeof process.exitCode === 'number' ? process.exitCode : undefined;
  process.exitCode = undefined;
  return { out, err, code };
}
