export { createConfigClient, ConfigClient, type ConfigClientOptions, type ConfigClientEvents } from './client.ts';
export { ConfigFile, ConfigParseError, ConfigUnavailableError, type ConfigChangeEvent, type ConfigSource, type ConfigFileEvents } from './file.ts';
export { ConfigValueError, MissingConfigKeyError, type ConfigChange } from './values.ts';
export { DiskCache, writeAtomically, type CachedFile } from './cache.ts';
