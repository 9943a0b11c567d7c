import type { Level } from '../sensitive.js';
import type { ToolAction, ToolRuleInput } from '../config.js';

/** A named set of defaults: rules after the operator's, what unmatched tools get, workspace and URL policy. */
export interface ToolPolicyProfile {
  readonly name: string;
  readonly description: string;
  readonly rules: readonly ToolRuleInput[];
  readonly defaultAction: ToolAction;
  readonly workspace: readonly string[];
  readonly readOutside: Level | 'allow';
  readonly writeOutside: Level | 'allow';
  /** Workspace files that feed the agent's own prompt: writes go to review. */
  readonly protectedFiles: readonly string[];
  readonly unknownDomain: Level | 'allow';
  readonly dataToUnknownDomain: Level | 'allow';
  readonly privateNetwork: Level | 'allow';
  /** Hosts data may go to from shell commands without being called exfiltration (code hosts, registries). */
  readonly trustedDomains: readonly string[];
  /** Tools the flow rule sends to review once a tool result was flagged as injection. */
  readonly highRisk: readonly string[];
}

/** Argument paths where common agents put the things the analyzers judge. */
export const COMMAND_PATHS = ['$.command', '$.cmd', '$.script', '$.commandLine', '$.command_line', '$.shell_command'];
export const FILE_PATHS = ['$.path', '$.file_path', '$.filePath', '$.filename', '$.file', '$.target_file', '$.targetFile', '$.relative_path', '$.absolute_path', '$.paths[*]', '$.files[*].path'];
export const DIR_PATHS = ['$.path', '$.dir', '$.directory', '$.dir_path', '$.cwd', '$.workdir', '$.root'];
export const URL_PATHS = ['$.url', '$.uri', '$.href', '$.link', '$.targetUrl', '$.target_url', '$.urls[*]', '$.src'];
