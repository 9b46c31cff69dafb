/**
 * Decompressors for parquet pages beyond hyparquet's built-in snappy: pyarrow writes zstd, gzip
 * and brotli on request, and many published datasets use zstd. gzip and brotli come from
 * node:zlib; zstd from fzstd (pure JS) because Node 20's zlib has no zstd.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import type { Compressors } from 'hyparquet';

export const parquetCompressors: Compressors = {
  GZIP: (input) => gunzipSync(input),
  BROTLI: (input) => brotliDecompressSync(input),
  ZSTD: (input, outputLength) => zstdDecompress(input, new Uint8Array(outputLength)),
};
