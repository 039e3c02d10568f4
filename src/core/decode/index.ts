export { CaptureDecoder, decodeBytes, ticksToTime, type DecoderOptions } from './capture';
export { DecodeReport, type Positioned } from './report';
export { decodePacket, isKnownLinkType, type SkipReason } from './packet';
