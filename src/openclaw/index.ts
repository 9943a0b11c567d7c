export { connectOpenClaw, undoConnect, OpenClawConnectError, parseOpenClawConfig, stateFilePath, type ConnectOptions, type ConnectResult, type UndoResult } from './connect.js';
export { openClawConfigPath, openClawStateDir } from './locate.js';
export { scanProviders, SUPPORTED_APIS, type ProviderPlan, type ProviderScan } from './providers.js';
export { formatDiff, maskSecrets } from './diff.js';
