#ifndef CADERNO_CZLIB_SHIM_H
#define CADERNO_CZLIB_SHIM_H
#include <zlib.h>

// inflateInit2 is a macro; 15 + 32 = largest window, and detect zlib or gzip headers automatically.
static inline int caderno_inflate_init(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}

// deflateInit2 is a macro too; 15 + 16 = largest window, written with a gzip header.
static inline int caderno_deflate_init(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
