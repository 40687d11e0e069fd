/**
 * Every number of the ZIP format that zipstream writes, with the APPNOTE 6.3.10
 * section that defines it.
 *
 * @module
 */

/** 4.3.7 local file header. */
export const LOCAL_FILE_HEADER_SIGNATURE = 0x04034b50;
export const LOCAL_FILE_HEADER_LENGTH = 30;

/** 4.3.9 data descriptor, with the optional signature (4.3.9.3). */
export const DATA_DESCRIPTOR_SIGNATURE = 0x08074b50;
export const DATA_DESCRIPTOR_LENGTH = 16;
export const DATA_DESCRIPTOR_ZIP64_LENGTH = 24;

/** 4.3.12 central directory file header. */
export const CENTRAL_DIRECTORY_HEADER_SIGNATURE = 0x02014b50;
export const CENTRAL_DIRECTORY_HEADER_LENGTH = 46;

/** 4.3.14 ZIP64 end of central directory record. */
export const ZIP64_END_OF_CENTRAL_DIRECTORY_SIGNATURE = 0x06064b50;
export const ZIP64_END_OF_CENTRAL_DIRECTORY_LENGTH = 56;
/** 4.3.14.1: the record's size field counts neither the signature nor itself. */
export const ZIP64_END_OF_CENTRAL_DIRECTORY_LEADING_LENGTH = 12;

/** 4.3.15 ZIP64 end of central directory locator. */
export const ZIP64_END_OF_CENTRAL_DIRECTORY_LOCATOR_SIGNATURE = 0x07064b50;
export const ZIP64_END_OF_CENTRAL_DIRECTORY_LOCATOR_LENGTH = 20;

/** 4.3.16 end of central directory record. */
export const END_OF_CENTRAL_DIRECTORY_SIGNATURE = 0x06054b50;
export const END_OF_CENTRAL_DIRECTORY_LENGTH = 22;

/** 4.5.2 the header of every extra field: ID and data size. */
export const EXTRA_FIELD_HEADER_LENGTH = 4;
/** 4.5.3 ZIP64 extended information extra field. */
export const ZIP64_EXTRA_ID = 0x0001;
/** 4.6.9 / Info-ZIP "UT": extended timestamp extra field. */
export const EXTENDED_TIMESTAMP_EXTRA_ID = 0x5455;
/** Info-ZIP "UT" flags: bit 0 says a modification time follows. */
export const EXTENDED_TIMESTAMP_MTIME_FLAG = 0x01;
/** Flags byte plus one 32-bit time. */
export const EXTENDED_TIMESTAMP_DATA_LENGTH = 5;

/** 4.4.4 general purpose bit flag: the entry is encrypted. */
export const FLAG_ENCRYPTED = 0x0001;
/** 4.4.4 general purpose bit flag: CRC and sizes follow the data in a descriptor. */
export const FLAG_DATA_DESCRIPTOR = 0x0008;
/** 4.4.4 general purpose bit flag: name and comment are UTF-8. */
export const FLAG_UTF8 = 0x0800;

/** 4.4.5 compression method. */
export const METHOD_STORE = 0;
export const METHOD_DEFLATE = 8;

/**
 * 4.4.3 version needed to extract: 2.0 for deflate and directories, 4.5 for
 * ZIP64. Stored files could claim 1.0, but 2.0 is what every reader expects.
 */
export const VERSION_NEEDED_DEFAULT = 20;
export const VERSION_NEEDED_ZIP64 = 45;
/** 4.4.2 version made by: upper byte 3 = Unix (so external attributes carry the mode), lower byte = APPNOTE 6.3. */
export const VERSION_MADE_BY = (3 << 8) | 63;

/** 4.4.15 external attributes: Unix mode in the upper 16 bits. */
export const EXTERNAL_ATTRIBUTES_MODE_SHIFT = 16;
/** 4.4.15 external attributes: the MS-DOS directory bit, for readers that ignore the Unix mode. */
export const MSDOS_DIRECTORY_ATTRIBUTE = 0x10;

/** Unix file-type bits (st_mode), kept in the external attributes. */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
/** A symbolic link, whose data is the path it points to. */
export const S_IFLNK = 0o120000;
export const DEFAULT_FILE_MODE = 0o644;
export const DEFAULT_DIRECTORY_MODE = 0o755;
export const MAX_MODE = 0o177777;

/** The largest values of 16- and 32-bit fields; at these, ZIP64 takes over (4.4.1.4). */
export const UINT16_MAX = 0xffff;
export const UINT32_MAX = 0xffffffff;

/** 4.4.6 MS-DOS date: years are counted from 1980 in seven bits. */
export const DOS_EPOCH_YEAR = 1980;
export const DOS_MAX_YEAR = 2107;

/** The largest Info-ZIP "UT" time every reader agrees on: signed 32-bit Unix seconds. */
export const INT32_MAX = 0x7fffffff;
