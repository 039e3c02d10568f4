export * from './types';
export { analyze, analysisOf, DEFAULT_OPTIONS, type EngineStep, type ClaimResult } from './engine';
export { CATALOG, type CatalogEntry } from './catalog';
