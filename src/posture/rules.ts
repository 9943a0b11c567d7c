import type { PostureFinding, RuleMeta } from './types.js';

/**
 * Every rule ClawGuard's posture scan knows. Ids are stable and never reused; a retired rule keeps
 * its id reserved. The description says what the rule actually checks, not more.
 */
const CATALOGUE: readonly RuleMeta[] = [
  // Dockerfiles
  {
    id: 'CG-DKR-001', name: 'dockerfile-root-user', target: 'dockerfile', severity: 'high',
    title: 'Container runs as root',
    description: 'The final stage has no USER instruction, or its last USER is root (name `root` or uid 0). A process that escapes the app then owns the container.',
    fix: 'Add `USER <non-root uid>` (e.g. `USER 10001:10001` or `USER node`) after the last step that needs root.',
  },
  {
    id: 'CG-DKR-002', name: 'dockerfile-base-not-pinned', target: 'dockerfile', severity: 'medium',
    title: 'Base image not pinned by digest',
    description: 'A FROM image has no `@sha256:` digest (stages built earlier in the same file and `scratch` are exempt). A tag can be moved to other content at any time.',
    fix: 'Pin the base: `FROM image:tag@sha256:<digest>`; update it deliberately (e.g. with Renovate/Dependabot).',
  },
  {
    id: 'CG-DKR-003', name: 'dockerfile-latest-tag', target: 'dockerfile', severity: 'medium',
    title: 'Base image uses `latest` or no tag',
    description: 'A FROM image has the `latest` tag, or no tag and no digest (which means `latest`).',
    fix: 'Use an explicit, minimal version tag (e.g. `node:20.18-bookworm-slim`) plus a digest.',
  },
  {
    id: 'CG-DKR-004', name: 'dockerfile-secret-in-env', target: 'dockerfile', severity: 'high',
    title: 'Secret value baked into ENV or ARG',
    description: 'An ENV or ARG whose name looks like a credential (password, secret, token, api key, private key, access key, credential) has a literal value. It stays in the image config and history.',
    fix: 'Pass secrets at run time (orchestrator secret, mounted file) or at build time with `RUN --mount=type=secret`.',
  },
  {
    id: 'CG-DKR-005', name: 'dockerfile-secret-build-arg', target: 'dockerfile', severity: 'medium',
    title: 'Credential passed as a build argument',
    description: 'An ARG with a credential-like name and no default: values given with `--build-arg` are recorded in the image history.',
    fix: 'Use `RUN --mount=type=secret,id=<name>` and read the secret from `/run/secrets/<name>`.',
  },
  {
    id: 'CG-DKR-006', name: 'dockerfile-copies-secret-file', target: 'dockerfile', severity: 'high',
    title: 'Secret file copied into the image',
    description: 'A COPY or ADD source names a file that usually holds credentials: `.env*`, `*.pem`, `*.key`, `*.p12`/`*.pfx`, `id_rsa`/`id_ed25519`, `.npmrc`, `.pypirc`, `.netrc`, `.aws/`, `.ssh/`, `credentials*`.',
    fix: 'Remove the file from the build context (.dockerignore) and mount the secret at run time.',
  },
  {
    id: 'CG-DKR-007', name: 'dockerfile-curl-pipe-shell', target: 'dockerfile', severity: 'high',
    title: 'Remote script piped into a shell',
    description: 'A RUN downloads with curl or wget and pipes the output straight into sh/bash/zsh/python: whatever the server returns that day runs as root in the build.',
    fix: 'Download to a file, verify its checksum or signature, then run it; or install from a package manager.',
  },
  {
    id: 'CG-DKR-008', name: 'dockerfile-add-url', target: 'dockerfile', severity: 'medium',
    title: 'ADD fetches a URL',
    description: 'ADD with an http(s) source downloads unverified content into the image (ADD --checksum exempts it).',
    fix: 'Use `ADD --checksum=sha256:<digest> <url>` or `RUN curl -fsSLO` followed by a checksum check.',
  },
  {
    id: 'CG-DKR-009', name: 'dockerfile-no-healthcheck', target: 'dockerfile', severity: 'low',
    title: 'No HEALTHCHECK',
    description: 'The final stage defines no HEALTHCHECK (or `HEALTHCHECK NONE`): a hung process is never restarted by the engine.',
    fix: 'Add e.g. `HEALTHCHECK CMD ["node", "-e", "fetch(\'http://127.0.0.1:PORT/healthz\').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]`.',
  },
  {
    id: 'CG-DKR-010', name: 'dockerfile-package-cache', target: 'dockerfile', severity: 'low',
    title: 'Package manager cache left in the image',
    description: 'A RUN installs with apt-get without removing `/var/lib/apt/lists`, apk without `--no-cache`, pip without `--no-cache-dir`, or yum/dnf without `clean all` in the same RUN. The image grows and carries stale indexes.',
    fix: 'Clean up in the same RUN: `apt-get install -y --no-install-recommends … && rm -rf /var/lib/apt/lists/*`, `apk add --no-cache …`, `pip install --no-cache-dir …`.',
  },
  {
    id: 'CG-DKR-011', name: 'dockerfile-base-not-minimal', target: 'dockerfile', severity: 'low',
    title: 'Runtime image is not minimal',
    description: 'The final stage starts from a full distribution or language image (debian, ubuntu, centos, fedora, node, python, ruby, golang, openjdk, php, …) whose tag does not name a minimal variant (slim, alpine, distroless, chiseled, minimal, micro). Build stages are exempt. Only official images (no registry or `library/` prefix) are judged.',
    fix: 'Build in a full image, then copy the result into a minimal runtime (distroless, `-slim`, alpine, scratch).',
  },
  {
    id: 'CG-DKR-012', name: 'dockerfile-context-without-dockerignore', target: 'dockerfile', severity: 'medium',
    title: 'Whole build context copied with no .dockerignore',
    description: 'A COPY or ADD takes the whole context (`.` or `./`) and there is no `.dockerignore` next to the Dockerfile: `.env` files, keys and `.git` end up in the image. Checked only for Dockerfiles read from disk.',
    fix: 'Add a `.dockerignore` (ideally `*` followed by `!` entries for what the build needs), or copy named paths only.',
  },
  // Kubernetes
  {
    id: 'CG-K8S-001', name: 'k8s-run-as-root', target: 'kubernetes', severity: 'high',
    title: 'Container may run as root',
    description: 'Neither the container nor the pod securityContext sets `runAsNonRoot: true` (or a non-zero `runAsUser`), or `runAsUser: 0` is set.',
    fix: 'Set `securityContext.runAsNonRoot: true` and `runAsUser: <non-zero uid>` on the pod or container.',
  },
  {
    id: 'CG-K8S-002', name: 'k8s-writable-root-filesystem', target: 'kubernetes', severity: 'medium',
    title: 'Root filesystem is writable',
    description: 'The container securityContext does not set `readOnlyRootFilesystem: true`.',
    fix: 'Set `readOnlyRootFilesystem: true` and mount an `emptyDir` where the app must write (e.g. /tmp).',
  },
  {
    id: 'CG-K8S-003', name: 'k8s-privilege-escalation', target: 'kubernetes', severity: 'high',
    title: 'Privilege escalation allowed',
    description: 'The container securityContext does not set `allowPrivilegeEscalation: false` (setuid binaries can gain privileges).',
    fix: 'Set `allowPrivilegeEscalation: false`.',
  },
  {
    id: 'CG-K8S-004', name: 'k8s-capabilities-not-dropped', target: 'kubernetes', severity: 'medium',
    title: 'Linux capabilities not dropped',
    description: 'The container does not drop `ALL` capabilities, or adds any capability other than NET_BIND_SERVICE.',
    fix: 'Set `capabilities: { drop: ["ALL"] }` and add back only what is proven necessary.',
  },
  {
    id: 'CG-K8S-005', name: 'k8s-privileged', target: 'kubernetes', severity: 'critical',
    title: 'Privileged container',
    description: '`privileged: true` gives the container every capability and access to host devices.',
    fix: 'Remove `privileged: true`.',
  },
  {
    id: 'CG-K8S-006', name: 'k8s-host-namespace', target: 'kubernetes', severity: 'high',
    title: 'Pod shares a host namespace',
    description: 'The pod sets `hostNetwork`, `hostPID` or `hostIPC` to true.',
    fix: 'Remove the host namespace settings; expose ports through a Service.',
  },
  {
    id: 'CG-K8S-007', name: 'k8s-host-path', target: 'kubernetes', severity: 'high',
    title: 'hostPath volume',
    description: 'The pod mounts a `hostPath` volume: the node filesystem becomes reachable from the agent.',
    fix: 'Use a PersistentVolumeClaim, ConfigMap, Secret or emptyDir instead.',
  },
  {
    id: 'CG-K8S-008', name: 'k8s-no-resource-limits', target: 'kubernetes', severity: 'medium',
    title: 'No CPU or memory limit',
    description: 'The container has no `resources.limits.cpu` or no `resources.limits.memory`: one runaway agent can starve the node.',
    fix: 'Set `resources.requests` and `resources.limits` for cpu and memory.',
  },
  {
    id: 'CG-K8S-009', name: 'k8s-literal-secret-env', target: 'kubernetes', severity: 'high',
    title: 'Secret as a literal env value',
    description: 'An env var with a credential-like name has a literal `value` instead of `valueFrom.secretKeyRef`; it is readable by anyone who can read the workload.',
    fix: 'Store it in a Secret and reference it with `valueFrom.secretKeyRef` (or mount it as a file).',
  },
  {
    id: 'CG-K8S-010', name: 'k8s-no-network-policy', target: 'kubernetes', severity: 'medium',
    title: 'No NetworkPolicy for the namespace',
    description: 'A workload runs in a namespace for which none of the scanned manifests defines a NetworkPolicy; every pod can reach it and it can reach everything.',
    fix: 'Add a default-deny NetworkPolicy for the namespace plus explicit allows for the agent and gateway traffic.',
  },
  {
    id: 'CG-K8S-011', name: 'k8s-sa-token-automount', target: 'kubernetes', severity: 'medium',
    title: 'Service account token mounted',
    description: 'Neither the pod spec nor its ServiceAccount (when scanned) sets `automountServiceAccountToken: false`; a compromised agent gets a Kubernetes API credential.',
    fix: 'Set `automountServiceAccountToken: false` on the pod spec or the ServiceAccount.',
  },
  {
    id: 'CG-K8S-012', name: 'k8s-image-not-pinned', target: 'kubernetes', severity: 'low',
    title: 'Container image not pinned',
    description: 'A container image uses `latest`, no tag, or a tag without `@sha256:` digest.',
    fix: 'Reference images as `registry/name:version@sha256:<digest>`.',
  },
  {
    id: 'CG-K8S-013', name: 'k8s-no-seccomp', target: 'kubernetes', severity: 'medium',
    title: 'No seccomp profile',
    description: 'Neither the pod nor the container securityContext sets `seccompProfile.type` to `RuntimeDefault` or `Localhost` (`Unconfined`, or nothing, leaves every syscall open).',
    fix: 'Set `securityContext.seccompProfile: { type: RuntimeDefault }` on the pod.',
  },
  // OpenClaw
  {
    id: 'CG-OC-001', name: 'openclaw-exposed-without-auth', target: 'openclaw', severity: 'critical',
    title: 'OpenClaw gateway reachable beyond loopback without strong auth',
    description: '`gateway.bind` is not `loopback` (lan, tailnet, auto, custom, or a non-loopback address) while `gateway.auth.mode` is `none`, no token/password is configured, or the literal token/password is weak (see CG-OC-003).',
    fix: 'Keep `gateway.bind: "loopback"` and put ClawGuard in front, or set `gateway.auth.mode: "token"` with a long random token from the environment.',
  },
  {
    id: 'CG-OC-002', name: 'openclaw-auth-none', target: 'openclaw', severity: 'high',
    title: 'OpenClaw gateway authentication disabled',
    description: '`gateway.auth.mode` is `none`: any local process (or anyone reaching the port) is a trusted operator.',
    fix: 'Set `gateway.auth.mode: "token"` and `gateway.auth.token: "${OPENCLAW_GATEWAY_TOKEN}"`.',
  },
  {
    id: 'CG-OC-003', name: 'openclaw-weak-token', target: 'openclaw', severity: 'high',
    title: 'Weak or default gateway token/password',
    description: 'A literal `gateway.auth.token` or `gateway.auth.password` is shorter than 24 characters, is a well-known default (changeme, password, openclaw, …) or uses fewer than 8 distinct characters.',
    fix: 'Generate one with `openssl rand -hex 32` and supply it through `${OPENCLAW_GATEWAY_TOKEN}`.',
  },
  {
    id: 'CG-OC-004', name: 'openclaw-sandbox-off', target: 'openclaw', severity: 'high',
    title: 'Tool sandbox off',
    description: '`agents.defaults.sandbox.mode` (or an agent in `agents.list`) is `off`, or no sandbox mode is configured: tools run directly on the host.',
    fix: 'Set `agents.defaults.sandbox.mode: "all"` (or at least `"non-main"`) with `workspaceAccess: "none"` or `"ro"`.',
  },
  {
    id: 'CG-OC-005', name: 'openclaw-exec-approvals-off', target: 'openclaw', severity: 'critical',
    title: 'Exec runs anything without approval',
    description: '`tools.exec.security` is `full` while `tools.exec.ask` is `off` (globally or for an agent in `agents.list` of openclaw.json, or in `defaults`/`agents.<id>` of exec-approvals.json): the model can run any command with no human in the loop.',
    fix: 'Use `security: "allowlist"` with `ask: "on-miss"` (or `"always"`), or `security: "deny"`.',
  },
  {
    id: 'CG-OC-006', name: 'openclaw-no-exec-deny', target: 'openclaw', severity: 'medium',
    title: 'Exec-like tools not restricted by tool policy',
    description: 'No `tools.deny` entry covers exec-like tools (`exec`, `process`, `elevated`, `group:runtime`, `bash`, or `*`), no `tools.allow` list leaves them out, and the tool profile is not `minimal` or `messaging`.',
    fix: 'Add `tools.deny: ["group:runtime", "elevated"]` for agents that do not need a shell, or an explicit `tools.allow` list.',
  },
  {
    id: 'CG-OC-007', name: 'openclaw-web-fetch-unrestricted', target: 'openclaw', severity: 'medium',
    title: 'web_fetch can reach any host',
    description: 'web_fetch is not disabled or denied, no URL allowlist field is set (`tools.web.urlAllowlist`, `tools.web.fetch.allowlist`, `tools.web.fetch.allowedDomains`), and no HTTPS_PROXY is set in the config `env`: an injected page can make the agent fetch attacker URLs and exfiltrate data in them.',
    fix: 'Route the agent through ClawGuard\'s egress proxy with a domain allowlist (`env: { HTTPS_PROXY: "http://agent:<client key>@127.0.0.1:8082" }`, `egress.allowDomains` in clawguard.yaml), or deny `web_fetch`.',
  },
  {
    id: 'CG-OC-008', name: 'openclaw-open-dm-with-tools', target: 'openclaw', severity: 'high',
    title: 'Anyone can DM an agent that has tools',
    description: 'A channel has `dmPolicy: "open"` (or `allowFrom` containing `*`) while the tool profile is not `minimal` or `messaging`: strangers can drive an agent with tools.',
    fix: 'Use `dmPolicy: "pairing"` or `"allowlist"` with explicit `allowFrom`, or restrict the tools to the `messaging` profile.',
  },
  {
    id: 'CG-OC-009', name: 'openclaw-inline-provider-key', target: 'openclaw', severity: 'high',
    title: 'Provider API key inline in openclaw.json',
    description: 'A `models.providers.<id>.apiKey` (or `key`) is a literal string rather than a `${ENV}` substitution or a SecretRef object.',
    fix: 'Let ClawGuard hold the provider key (the agent never needs it) or use `{ source: "env", provider: "default", id: "OPENAI_API_KEY" }`.',
  },
  {
    id: 'CG-OC-010', name: 'openclaw-provider-bypasses-clawguard', target: 'openclaw', severity: 'medium',
    title: 'Model traffic does not go through ClawGuard',
    description: 'No `models.providers` entry is configured (built-in providers talk to the vendor directly), or a provider `baseUrl` points neither at a loopback address nor at a host named like `clawguard` (or one given with `--clawguard-url`).',
    fix: 'Set each provider\'s `baseUrl` to ClawGuard\'s LLM proxy, e.g. `http://127.0.0.1:8080/v1` (OpenAI) or `http://127.0.0.1:8080` (Anthropic).',
  },
  {
    id: 'CG-OC-011', name: 'openclaw-plaintext-token', target: 'openclaw', severity: 'medium',
    title: 'Plaintext credential in openclaw.json',
    description: 'A credential field outside `models.providers` and `gateway.auth` (keys named token, botToken, appToken, password, secret, signingSecret, apiKey, webhookSecret) holds a literal string instead of `${ENV}` or a SecretRef.',
    fix: 'Move the value to the environment (`${NAME}`) or a SecretRef.',
  },
  {
    id: 'CG-OC-012', name: 'openclaw-config-permissions', target: 'openclaw', severity: 'medium',
    title: 'openclaw.json readable by other users',
    description: 'The config file on disk is readable or writable by group or others (mode & 0o077 ≠ 0). Checked only for files read from disk on POSIX systems.',
    fix: 'chmod 600 ~/.openclaw/openclaw.json (and 700 on ~/.openclaw).',
  },
  // ClawGuard's own config
  {
    id: 'CG-CFG-001', name: 'clawguard-public-without-tls', target: 'clawguard', severity: 'high',
    title: 'Listening beyond loopback without TLS',
    description: '`server.host` (or `admin.host`) is not a loopback address and the same section has no `tls` with `certFile` and `keyFile`.',
    fix: 'Bind to 127.0.0.1 behind a TLS-terminating proxy, or configure `tls: { certFile, keyFile }`.',
  },
  {
    id: 'CG-CFG-002', name: 'clawguard-auth-disabled', target: 'clawguard', severity: 'critical',
    title: 'Client authentication disabled',
    description: '`auth.enabled` is false: anyone who reaches the proxy spends your provider budget and bypasses per-key policy.',
    fix: 'Remove `auth.enabled: false` and issue keys with `clawguard keys create`.',
  },
  {
    id: 'CG-CFG-003', name: 'clawguard-guard-fail-open', target: 'clawguard', severity: 'medium',
    title: 'Guard set to fail open',
    description: 'A guard family under `guards` has `failOpen: true`: when it errors or times out, traffic passes unchecked.',
    fix: 'Remove `failOpen: true` unless that guard is advisory; watch its failure counter if you keep it.',
  },
  {
    id: 'CG-CFG-004', name: 'clawguard-literal-secret', target: 'clawguard', severity: 'high',
    title: 'Literal secret in the config',
    description: 'A field named apiKey, secret, clientSecret, password, token, vaultKey, privateKey (and similar) holds a literal instead of a secret reference (`env:NAME`, `file:/path`), or any URL carries a password (`postgres://user:pw@…`, `rediss://:pw@…`).',
    fix: 'Put a secret reference in that field instead of the value, e.g. `apiKey: "env:OPENAI_API_KEY"`, `vaultKey: "file:/run/secrets/clawguard-vault.key"`; a URL with a password goes whole into a reference (`url: "env:DATABASE_URL"`).',
  },
  {
    id: 'CG-CFG-005', name: 'clawguard-tls-verify-off', target: 'clawguard', severity: 'high',
    title: 'Upstream TLS verification off',
    description: 'An upstream sets `tls.rejectUnauthorized: false`: anyone on the path can read prompts and the injected provider key.',
    fix: 'Remove it; trust a private CA with `tls.ca` instead.',
  },
  {
    id: 'CG-CFG-006', name: 'clawguard-plain-http-upstream', target: 'clawguard', severity: 'high',
    title: 'Plain HTTP to a remote upstream',
    description: 'An upstream `url` uses `http://` to a host that is not loopback: prompts and the provider key cross the network in clear.',
    fix: 'Use `https://`.',
  },
  {
    id: 'CG-CFG-007', name: 'clawguard-audit-cleartext', target: 'clawguard', severity: 'medium',
    title: 'Audit payloads stored in clear',
    description: 'The audit log keeps prompts and responses without encryption: `audit.payloads: redacted` (redacted, but otherwise in clear), or encryption explicitly off.',
    fix: 'Use `audit.payloads: encrypted` with `audit.encryption.keys` from secret references, or `payloads: none`.',
  },
  {
    id: 'CG-CFG-008', name: 'clawguard-admin-on-proxy-port', target: 'clawguard', severity: 'high',
    title: 'Admin API shares the proxy listener',
    description: '`admin.port` equals `server.port` on the same host: the admin API is reachable wherever agent traffic is.',
    fix: 'Give the admin API its own port bound to 127.0.0.1 or an internal interface.',
  },
  {
    id: 'CG-CFG-009', name: 'clawguard-admin-exposed', target: 'clawguard', severity: 'medium',
    title: 'Admin API bound beyond loopback',
    description: '`admin.host` is not a loopback address.',
    fix: 'Bind the admin API to 127.0.0.1 and reach it through an SSH tunnel or an internal network.',
  },
  {
    id: 'CG-CFG-010', name: 'clawguard-egress-private-allowed', target: 'clawguard', severity: 'high',
    title: 'Egress proxy lets tools reach private addresses',
    description: '`egress.enabled` with `egress.allowPrivate: true`: an injected web_fetch can reach cloud metadata (169.254.169.254), loopback admin APIs and the internal network (SSRF).',
    fix: 'Remove `allowPrivate: true`; if one internal host is needed, run a separate, narrowly allow-listed proxy for it.',
  },
  {
    id: 'CG-CFG-011', name: 'clawguard-egress-open-proxy', target: 'clawguard', severity: 'high',
    title: 'Egress proxy open to anyone who reaches it',
    description: '`egress.enabled` with `egress.requireAuth: false` on a host that is not loopback: anyone on the network can use the gateway as an anonymous proxy.',
    fix: 'Keep `requireAuth: true` (agents present their ClawGuard key as proxy credentials) or bind the proxy to 127.0.0.1.',
  },
  // Files
  {
    id: 'CG-SEC-001', name: 'secret-in-file', target: 'secrets', severity: 'high',
    title: 'Credential in a file',
    description: 'The secrets detector found a credential in a tracked (not .gitignored), non-binary file. The finding names the type and line, never the value.',
    fix: 'Revoke and rotate the credential, remove it from the file and from history, and load it from a secret store.',
  },
  // Knowledge base
  {
    id: 'CG-KB-001', name: 'kb-prompt-injection', target: 'kb', severity: 'high',
    title: 'Instructions aimed at the model in a document',
    description: 'The injection detector flagged text in a knowledge-base document (hidden HTML text and comments included): retrieved, it would steer the agent.',
    fix: 'Remove or quarantine the document before ingestion; find out how it got into the corpus.',
  },
  {
    id: 'CG-KB-002', name: 'kb-secret', target: 'kb', severity: 'high',
    title: 'Credential in a document',
    description: 'The secrets detector found a credential in a knowledge-base document; retrieval would hand it to the model and to users.',
    fix: 'Remove the credential from the document and rotate it.',
  },
  {
    id: 'CG-KB-003', name: 'kb-personal-data', target: 'kb', severity: 'medium',
    title: 'Personal data in a document',
    description: 'The PII detector found personal data in a knowledge-base document.',
    fix: 'Minimise or pseudonymise before ingestion, or restrict who can retrieve it.',
  },
  {
    id: 'CG-KB-004', name: 'kb-hidden-html-text', target: 'kb', severity: 'medium',
    title: 'Hidden text in an HTML document',
    description: 'An HTML document carries text a reader does not see (comments, `display:none`, `visibility:hidden`, `hidden`/`aria-hidden` elements, zero font size) that an ingestion pipeline may still index.',
    fix: 'Strip hidden content before ingestion, or review why it is there.',
  },
  // Container image scan reports (--image-report): one rule per severity, so GitHub labels each alert by its own rating.
  {
    id: 'CG-IMG-001', name: 'image-vulnerability-critical', target: 'image', severity: 'critical',
    title: 'Vulnerable package in a container image (critical)',
    description: 'A container image scan report given with `--image-report` (Trivy `-f json`, Grype `-o json` or a Clair v4 vulnerability report) lists a vulnerability in an installed package rated critical (Clair Defcon1 too). One finding per vulnerability id, package and installed version across all reports; when scanners disagree the highest rating wins.',
    fix: 'Upgrade the package to the fixed version the finding names and rebuild the image (for OS packages, on a patched base image); without a published fix, remove the package or accept the risk explicitly. Then rescan.',
  },
  {
    id: 'CG-IMG-002', name: 'image-vulnerability-high', target: 'image', severity: 'high',
    title: 'Vulnerable package in a container image (high)',
    description: 'A container image scan report given with `--image-report` (Trivy `-f json`, Grype `-o json` or a Clair v4 vulnerability report) lists a vulnerability in an installed package rated high (Clair/Red Hat Important too). One finding per vulnerability id, package and installed version across all reports; when scanners disagree the highest rating wins.',
    fix: 'Upgrade the package to the fixed version the finding names and rebuild the image (for OS packages, on a patched base image); without a published fix, remove the package or accept the risk explicitly. Then rescan.',
  },
  {
    id: 'CG-IMG-003', name: 'image-vulnerability-medium', target: 'image', severity: 'medium',
    title: 'Vulnerable package in a container image (medium)',
    description: 'A container image scan report given with `--image-report` (Trivy `-f json`, Grype `-o json` or a Clair v4 vulnerability report) lists a vulnerability in an installed package rated medium (Moderate), or not rated by any scanner. One finding per vulnerability id, package and installed version across all reports; when scanners disagree the highest rating wins, and an unrated one counts as medium.',
    fix: 'Upgrade the package to the fixed version the finding names and rebuild the image (for OS packages, on a patched base image); without a published fix, remove the package or accept the risk explicitly. Then rescan.',
  },
  {
    id: 'CG-IMG-004', name: 'image-vulnerability-low', target: 'image', severity: 'low',
    title: 'Vulnerable package in a container image (low)',
    description: 'A container image scan report given with `--image-report` (Trivy `-f json`, Grype `-o json` or a Clair v4 vulnerability report) lists a vulnerability in an installed package rated low. One finding per vulnerability id, package and installed version across all reports; when scanners disagree the highest rating wins.',
    fix: 'Upgrade the package to the fixed version the finding names and rebuild the image (for OS packages, on a patched base image); without a published fix, remove the package or accept the risk explicitly. Then rescan.',
  },
  {
    id: 'CG-IMG-005', name: 'image-vulnerability-negligible', target: 'image', severity: 'info',
    title: 'Vulnerable package in a container image (negligible)',
    description: 'A container image scan report given with `--image-report` (Trivy `-f json`, Grype `-o json` or a Clair v4 vulnerability report) lists a vulnerability in an installed package rated negligible. One finding per vulnerability id, package and installed version across all reports; when scanners disagree the highest rating wins.',
    fix: 'Upgrade the package to the fixed version the finding names and rebuild the image (for OS packages, on a patched base image); without a published fix, remove the package or accept the risk explicitly. Then rescan.',
  },
];

const BY_ID = new Map(CATALOGUE.map((rule) => [rule.id, rule]));

export function allRules(): readonly RuleMeta[] {
  return CATALOGUE;
}

export function ruleById(id: string): RuleMeta {
  const rule = BY_ID.get(id);
  if (!rule) throw new Error(`unknown posture rule ${id}`);
  return rule;
}

export interface At {
  readonly line?: number;
  readonly column?: number;
}

/** Builds a finding for a catalogued rule; the fix hint comes from the catalogue. */
export function report(ruleId: string, file: string, message: string, at: At = {}): PostureFinding {
  const rule = ruleById(ruleId);
  return {
    ruleId,
    severity: rule.severity,
    file,
    ...(at.line === undefined ? {} : { line: at.line }),
    ...(at.column === undefined ? {} : { column: at.column }),
    message,
    fix: rule.fix,
  };
}
