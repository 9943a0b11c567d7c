import { COMMAND_PATHS, DIR_PATHS, FILE_PATHS, type ToolPolicyProfile, URL_PATHS } from './types.js';

const SHELL_TOOLS = ['exec', 'bash', 'shell', 'sh', 'terminal', 'run_command', 'run_shell_command', 'execute_command', 'run_terminal_cmd', 'run_terminal_command', 'execute_bash', 'execute_shell', 'local_shell', 'shell_exec', 'command', 'cmd', 'container.exec'];
const READ_TOOLS = ['read', 'read_file', 'read_files', 'view', 'view_file', 'open_file', 'cat', 'file_read', 'ls', 'list_dir', 'list_directory', 'list_files', 'glob', 'grep', 'search_files', 'find_files', 'get_file_contents', 'read_text_file', 'read_multiple_files'];
const WRITE_TOOLS = ['write', 'write_file', 'edit', 'edit_file', 'create_file', 'file_write', 'str_replace_editor', 'str_replace_based_edit_tool', 'multi_edit', 'multiedit', 'replace', 'insert', 'delete_file', 'move_file', 'rename_file', 'create_directory', 'append_file'];
const PATCH_TOOLS = ['apply_patch', 'patch', 'apply_diff'];
const URL_TOOLS = ['web_fetch', 'fetch', 'fetch_url', 'http_request', 'http_get', 'browse', 'browser', 'open_url', 'navigate', 'request', 'download', 'download_file', 'web_browse', 'puppeteer_navigate', 'playwright_navigate', 'browser_navigate', 'scrape', 'crawl'];

/**
 * For any OpenAI- or Anthropic-speaking agent: tools are allowed by default, and the analyzers judge
 * the arguments of tools whose names say what they do (shell, file, patch and URL tools).
 */
export const genericProfile: ToolPolicyProfile = {
  name: 'generic',
  description: 'Any agent: unknown tools allowed; shell, file, patch and URL tools analyzed by name.',
  rules: [
    { tool: 'tool_call', action: 'allow', analyze: { unwrap: { tool: '$.id', args: '$.args' } } },
    { tool: SHELL_TOOLS, action: 'allow', analyze: { shell: COMMAND_PATHS, read: ['$.workdir', '$.cwd'], env: ['$.env'] } },
    { tool: READ_TOOLS, action: 'allow', analyze: { read: [...FILE_PATHS, ...DIR_PATHS] } },
    { tool: WRITE_TOOLS, action: 'allow', analyze: { write: [...FILE_PATHS, '$.destination', '$.source', '$.new_path', '$.old_path'] } },
    { tool: PATCH_TOOLS, action: 'allow', analyze: { patch: ['$.input', '$.patch', '$.diff'] } },
    { tool: URL_TOOLS, action: 'allow', analyze: { url: URL_PATHS } },
  ],
  defaultAction: 'allow',
  workspace: [],
  readOutside: 'allow',
  writeOutside: 'allow',
  protectedFiles: [],
  unknownDomain: 'allow',
  dataToUnknownDomain: 'review',
  privateNetwork: 'deny',
  trustedDomains: ['github.com', 'githubusercontent.com', 'gitlab.com', 'bitbucket.org', 'npmjs.org', 'npmjs.com', 'pypi.org', 'pythonhosted.org', 'crates.io', 'rubygems.org', 'golang.org', 'proxy.golang.org', 'deb.debian.org', 'archive.ubuntu.com', 'registry.npmjs.org', 'yarnpkg.com'],
  highRisk: [...SHELL_TOOLS, ...WRITE_TOOLS, ...PATCH_TOOLS, ...URL_TOOLS, 'tool_call'],
};
