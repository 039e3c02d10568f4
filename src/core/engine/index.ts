export * from './types';
export { analyze, DEFAULT_OPTIONS, type EngineStep, type ClaimResult } from './engine';
export { CATALOG, type CatalogEntry } from './catalog';
