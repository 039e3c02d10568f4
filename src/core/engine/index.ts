export * from './types';
export { analyze, analysisOf, endpointResolver, DEFAULT_OPTIONS, UNOBSERVED, type EngineStep, type ClaimResult } from './engine';
export { CATALOG, type CatalogEntry } from './catalog';
