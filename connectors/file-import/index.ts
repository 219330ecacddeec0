export {
  confinedImportPath,
  decodeRecord,
  ENCODING_LABELS,
  OutsideImportFolder,
  parseCsvRecords,
  RecordReader,
} from './client';
export type { FileEncoding, FileFormat, ParsedFields, RawRecord, ReaderOptions } from './client';
export { CUSTOMER_FIELDS, DATE_FORMATS, mapFileCustomer, mapFileOrder, ORDER_FIELDS, REQUIRED_FIELDS } from './mapping';
export { FileImportCredentials, FileImportCursor, fileImportConnector, FileImportSettings } from './sync';
