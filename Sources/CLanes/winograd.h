#ifndef CADERNO_WINOGRAD_H
#define CADERNO_WINOGRAD_H

// Winograd's F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015):
// a 2×2 block of a 3×3 convolution's output costs 16 multiplications instead of 36. With d a 4×4
// window of the input and g a 3×3 kernel,
//     Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A
//     Bᵀ = | 1  0 −1  0 |    G = | 1    0    0  |    Aᵀ = | 1  1  1  0 |
//          | 0  1  1  0 |        | ½    ½    ½  |         | 0  1 −1 −1 |
//          | 0 −1  1  0 |        | ½   −½    ½  |
//          | 0  1  0 −1 |        | 0    0    1  |
// Summed over input channels, the element-wise product becomes 16 matrix products (one per
// element ξ of the 4×4 transformed tile): M[ξ][o][t] = Σᵢ U[ξ][o][i] · V[ξ][i][t]. These
// functions are the three transforms; the products go to BLAS (Winograd.swift).
//
// Every transform is additions and halvings, exact in binary except for the additions' rounding.

#include <string.h>

/// U[ξ][f][c] = (G g Gᵀ)[ξ] for each kernel g of weights [filters][channels][3][3].
static inline void caderno_winograd_filter(const float *w, long filters, long channels, float *u) {
    const long stride = filters * channels;
    for (long f = 0; f < filters; f++) {
        for (long c = 0; c < channels; c++) {
            const float *g = w + (f * channels + c) * 9;
            float t[4][3];  // G g
            for (int s = 0; s < 3; s++) {
                t[0][s] = g[s];
                t[1][s] = 0.5f * (g[s] + g[3 + s] + g[6 + s]);
                t[2][s] = 0.5f * (g[s] - g[3 + s] + g[6 + s]);
                t[3][s] = g[6 + s];
            }
            float *target = u + f * channels + c;
            for (int r = 0; r < 4; r++) {  // (G g) Gᵀ
                target[(r * 4 + 0) * stride] = t[r][0];
                target[(r * 4 + 1) * stride] = 0.5f * (t[r][0] + t[r][1] + t[r][2]);
                target[(r * 4 + 2) * stride] = 0.5f * (t[r][0] - t[r][1] + t[r][2]);
                target[(r * 4 + 3) * stride] = t[r][2];
            }
        }
    }
}

/// The geometry of one convolution as Winograd sees it: input [images][channels][height][width]
/// at the given strides, `pad` zeros before the first row and column, tiles of 2×2 outputs.
typedef struct {
    long channels, height, width, pad;
    long stride_image, stride_channel;
    long tiles_high, tiles_wide;
} caderno_winograd_input_geometry;

typedef float caderno_tiles __attribute__((ext_vector_type(16)));
typedef float caderno_tiles_unaligned __attribute__((ext_vector_type(16), aligned(4)));
typedef float caderno_tile_pairs __attribute__((ext_vector_type(32)));

static inline caderno_tiles caderno_tiles_load(const float *p) { return *(const caderno_tiles_unaligned *)p; }

typedef float caderno_tiles8 __attribute__((ext_vector_type(8), aligned(4)));
typedef float caderno_tiles4 __attribute__((ext_vector_type(4), aligned(4)));
typedef float caderno_tiles2 __attribute__((ext_vector_type(2), aligned(4)));

/// Stores the first `count` (≤ 16) lanes, in pieces of 8, 4, 2 and 1. A row of tiles is short (6
/// or 7 on MNIST's maps): one 16-lane store, masked or not, straddles two cache lines and ran
/// 45% slower; a call to memcpy per row took a tenth of the Keras CNN's training.
static inline void caderno_tiles_store(float *p, caderno_tiles value, long count) {
    if (count == 16) {
        *(caderno_tiles_unaligned *)p = value;
        return;
    }
    long i = 0;
    if (count & 8) { *(caderno_tiles8 *)p = value.s01234567; i = 8; }
    if (count & 4) { *(caderno_tiles4 *)(p + i) = (caderno_tiles4){value[i], value[i + 1], value[i + 2], value[i + 3]}; i += 4; }
    if (count & 2) { *(caderno_tiles2 *)(p + i) = (caderno_tiles2){value[i], value[i + 1]}; i += 2; }
    if (count & 1) p[i] = value[i];
}

/// Floats of scratch the input transform needs.
static inline long caderno_winograd_field_size(long tiles_high, long tiles_wide) {
    return 2 * (2 * tiles_high + 2) * (tiles_wide + 1) + 32;
}

/// V[ξ][c][t] = (Bᵀ d B)[ξ] for tile t of images [first, first + images): t counts tiles from the
/// block's first image, row by row; `ldv` is the distance between rows of V. `field` is scratch
/// (caderno_winograd_field_size floats): the image with its zeros around it, its even columns and
/// its odd columns apart, so that the windows of 16 neighbouring tiles are four vector loads a row.
static inline void caderno_winograd_input(const float *x, caderno_winograd_input_geometry g,
                                          long first, long images, float *v, long ldv, float *field) {
    const long high = 2 * g.tiles_high + 2, half = g.tiles_wide + 1, tiles = g.tiles_high * g.tiles_wide;
    const long rows = g.height + g.pad < high ? g.height : high - g.pad;
    const long columns = g.width + g.pad < 2 * half ? g.width : 2 * half - g.pad;
    const long stride = g.channels * ldv;
    float *even = field, *odd = field + high * half;  // [high][half] each: columns 2j and 2j + 1
    memset(field, 0, sizeof(float) * caderno_winograd_field_size(g.tiles_high, g.tiles_wide));
    for (long n = 0; n < images; n++) {
        for (long c = 0; c < g.channels; c++) {
            const float *image = x + (first + n) * g.stride_image + c * g.stride_channel;
            for (long h = 0; h < rows; h++) {  // the border stays zero; the inside is overwritten
                const float *source = image + h * g.width;
                float *e = even + (h + g.pad) * half, *o = odd + (h + g.pad) * half;
                for (long w = 0; w < columns; w++) {
                    long p = w + g.pad;
                    (p & 1 ? o : e)[p >> 1] = source[w];
                }
            }
            float *out = v + c * ldv + n * tiles;
            for (long ty = 0; ty < g.tiles_high; ty++) {
                for (long tx = 0; tx < g.tiles_wide; tx += 16) {
                    long count = g.tiles_wide - tx < 16 ? g.tiles_wide - tx : 16;
                    caderno_tiles d[4][4];  // d[a][b] of 16 tiles side by side
                    for (int a = 0; a < 4; a++) {
                        const float *e = even + (2 * ty + a) * half + tx, *o = odd + (2 * ty + a) * half + tx;
                        d[a][0] = caderno_tiles_load(e);
                        d[a][1] = caderno_tiles_load(o);
                        d[a][2] = caderno_tiles_load(e + 1);
                        d[a][3] = caderno_tiles_load(o + 1);
                    }
                    float *target = out + ty * g.tiles_wide + tx;
                    for (int r = 0; r < 4; r++) {
                        caderno_tiles k[4];  // row r of Bᵀ d
                        for (int b = 0; b < 4; b++)
                            k[b] = r == 0 ? d[0][b] - d[2][b] : r == 1 ? d[1][b] + d[2][b]
                                 : r == 2 ? d[2][b] - d[1][b] : d[1][b] - d[3][b];
                        caderno_tiles_store(target + (r * 4 + 0) * stride, k[0] - k[2], count);  // (Bᵀ d) B
                        caderno_tiles_store(target + (r * 4 + 1) * stride, k[1] + k[2], count);
                        caderno_tiles_store(target + (r * 4 + 2) * stride, k[2] - k[1], count);
                        caderno_tiles_store(target + (r * 4 + 3) * stride, k[1] - k[3], count);
                    }
                }
            }
        }
    }
}

/// Two rows' worth of outputs: lanes of `left` and `right` taken in turn.
static inline caderno_tile_pairs caderno_tiles_interleave(caderno_tiles left, caderno_tiles right) {
    return __builtin_shufflevector(left, right, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                   8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}

/// y[first + n][o][2ty + i][2tx + j] = (Aᵀ M A)[i][j] + bias[o] (no bias when NULL), for the
/// outputs inside height × width (the last row or column of tiles may hang over). y is
/// [images][outputs][height][width], contiguous. `corners` is scratch of
/// caderno_winograd_corners_size floats. M may be read up to 15 floats past an image's tiles.
static inline void caderno_winograd_output(const float *m, long ldm, long outputs, long tiles_high, long tiles_wide,
                                           long first, long images, const float *bias,
                                           float *y, long height, long width, float *corners) {
    const long stride = outputs * ldm, tiles = tiles_high * tiles_wide, lanes = (tiles + 15) / 16 * 16 + 16;
    float *corner[4] = {corners, corners + lanes, corners + 2 * lanes, corners + 3 * lanes};  // y00 y01 y10 y11 of each tile
    for (long n = 0; n < images; n++) {
        for (long o = 0; o < outputs; o++) {
            const caderno_tiles b = bias ? bias[o] : 0.0f;
            for (long t = 0; t < tiles; t += 16) {  // the four outputs of 16 tiles at a time
                const float *source = m + o * ldm + n * tiles + t;
                caderno_tiles e[16];
                for (int k = 0; k < 16; k++) e[k] = caderno_tiles_load(source + k * stride);
                for (int r = 0; r < 2; r++) {
                    caderno_tiles s[4];  // row r of Aᵀ M
                    for (int c = 0; c < 4; c++)
                        s[c] = r == 0 ? e[c] + e[4 + c] + e[8 + c] : e[4 + c] - e[8 + c] - e[12 + c];
                    *(caderno_tiles_unaligned *)(corner[2 * r] + t) = s[0] + s[1] + s[2] + b;  // (Aᵀ M) A
                    *(caderno_tiles_unaligned *)(corner[2 * r + 1] + t) = s[1] - s[2] - s[3] + b;
                }
            }
            float *map = y + ((first + n) * outputs + o) * height * width;
            for (long row = 0; row < height; row++) {  // each row is its tiles' left and right outputs in turn
                const long r = row & 1, from = (row >> 1) * tiles_wide;
                for (long tx = 0; tx < tiles_wide; tx += 16) {
                    caderno_tile_pairs pairs = caderno_tiles_interleave(caderno_tiles_load(corner[2 * r] + from + tx),
                                                                        caderno_tiles_load(corner[2 * r + 1] + from + tx));
                    long column = 2 * tx, count = width - column < 32 ? width - column : 32;
                    float *target = map + row * width + column;
                    caderno_tiles_store(target, pairs.lo, count < 16 ? count : 16);
                    if (count > 16) caderno_tiles_store(target + 16, pairs.hi, count - 16);
                }
            }
        }
    }
}

/// Floats of scratch the output transform needs.
static inline long caderno_winograd_corners_size(long tiles_high, long tiles_wide) {
    return 4 * ((tiles_high * tiles_wide + 15) / 16 * 16 + 16);
}

#endif
