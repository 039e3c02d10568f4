export { CaptureDecoder, decodeBytes, ticksToTime, type DecoderOptions } from './capture';
export { DecodeReport, linkTypeName, MAX_WARNINGS, type Positioned, type SkipReason } from './report';
export { PacketDecoder, isKnownLinkType, type PacketResult } from './packet';
export { inflatePayload, inflateRaw } from './inflate';
export { jsonLine, textLine } from './format';
export { RecordIndex } from './recordIndex';
export type { DecoderCheckpoint } from './capture';
