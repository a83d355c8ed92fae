import CLanes

/// A 3×3 convolution by Winograd's F(2×2, 3×3) (the transforms and why are in `winograd.h`):
/// 16 multiplications per 2×2 block of outputs where im2col's product does 36. Conv2D takes this
/// way outside training, for 3×3 kernels between layers of many channels (`usesWinograd`).
///
/// The batch is cut into blocks of about `blockTiles` tiles (whole images). Each block is
/// transformed, multiplied (16 products [outputs × inputs] · [inputs × tiles]) and transformed
/// back by one thread while it is still in that core's cache, and a block's result does not
/// depend on which thread ran it or how many there are.
struct Winograd {
    let inputs, outputs: Int
    /// Input geometry: sizes, padding, strides, and the tiles that cover the output.
    let input: caderno_winograd_input_geometry
    let outputHeight, outputWidth: Int

    /// About 256 tiles per block: the 16 products then run as fast as one large one (112 against
    /// 90 GFLOP/s for [64 × 32] · [32 × n] at n = 288 and 2,304), and V and M stay in L2.
    static let blockTiles = 256

    /// The convolution of `inputs` maps of height × width into `outputs` maps of outputHeight ×
    /// outputWidth, `pad` zeros before the first row and column; an image's input channels lie
    /// `strideChannel` apart and images `strideImage` apart.
    init(inputs: Int, outputs: Int, height: Int, width: Int, pad: Int,
         strideImage: Int, strideChannel: Int, outputHeight: Int, outputWidth: Int) {
        (self.inputs, self.outputs, self.outputHeight, self.outputWidth) = (inputs, outputs, outputHeight, outputWidth)
        input = caderno_winograd_input_geometry(channels: inputs, height: height, width: width, pad: pad,
                                                stride_image: strideImage, stride_channel: strideChannel,
                                                tiles_high: (outputHeight + 1) / 2, tiles_wide: (outputWidth + 1) / 2)
    }

    var tilesPerImage: Int { input.tiles_high * input.tiles_wide }
    var imagesPerBlock: Int { max(1, Self.blockTiles / tilesPerImage) }
    /// The input transform's padded image, or the output transform's corners.
    private var fieldSize: Int {
        max(caderno_winograd_field_size(input.tiles_high, input.tiles_wide),
            caderno_winograd_corners_size(input.tiles_high, input.tiles_wide))
    }
    /// Floats of scratch one thread needs: V, M and the padded field.
    private var scratchPerPart: Int { 16 * (inputs + outputs) * blockStride + fieldSize }
    /// A block's tiles, the distance between rows of V and M: kept odd so that the 16 planes
    /// fall in different cache sets (at 256 tiles the transforms ran 3× slower than at 252).
    private var blockStride: Int { imagesPerBlock * tilesPerImage | 1 }

    /// U [16, filters, channels] from weights [filters, channels, 3, 3].
    static func transformFilter(_ weight: Tensor, into u: inout [Float]) {
        let (filters, channels) = (weight.shape[0], weight.shape[1])
        reserveScratch(&u, 16 * filters * channels)
        weight.scalars.withUnsafeBufferPointer { w in
            u.withUnsafeMutableBufferPointer { u in
                caderno_winograd_filter(w.baseAddress!, filters, channels, u.baseAddress!)
            }
        }
    }

    /// y[images, outputs, outputHeight, outputWidth] = act(conv(x) + bias).
    func convolve(_ x: UnsafePointer<Float>, images: Int, filter u: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                  activation: Activation?, into y: UnsafeMutablePointer<Float>, scratch: inout [Float]) {
        let perBlock = imagesPerBlock
        let blocks = (images + perBlock - 1) / perBlock
        let parts = min(BLAS.threads, blocks)
        reserveScratch(&scratch, parts * scratchPerPart)
        let tiles = blockStride
        scratch.withUnsafeMutableBufferPointer { scratch in
            let scratch = scratch.baseAddress!
            // One chunk per part, each with its own scratch, whichever thread runs it.
            parallelFor(parts, parts: parts) { chunk in
                for part in chunk {
                    let v = scratch + part * scratchPerPart
                    let m = v + 16 * inputs * tiles
                    let field = m + 16 * outputs * tiles
                    for block in part * blocks / parts ..< (part + 1) * blocks / parts {
                        let first = block * perBlock, count = min(perBlock, images - first)
                        run(x, first: first, images: count, u: u, bias: bias, activation: activation, y: y,
                            v: v, m: m, field: field, ldt: tiles)
                    }
                }
            }
        }
    }

    /// One block: V = Bᵀ d B for each tile; M[ξ] = U[ξ] · V[ξ]; y = Aᵀ M A + bias, then act.
    private func run(_ x: UnsafePointer<Float>, first: Int, images: Int, u: UnsafePointer<Float>,
                     bias: UnsafePointer<Float>?, activation: Activation?, y: UnsafeMutablePointer<Float>,
                     v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
                     field: UnsafeMutablePointer<Float>, ldt: Int) {
        let tiles = images * tilesPerImage  // ≤ ldt: the last block may be short
        caderno_winograd_input(x, input, first, images, v, ldt, field)
        BLAS.note(BLAS.Shape(m: outputs, n: tiles, k: inputs), times: 16)
        for xi in 0..<16 {
            BLAS.product(u + xi * outputs * inputs, false, inputs, v + xi * inputs * ldt, false, ldt,
                         m + xi * outputs * ldt, ldt, m: outputs, n: tiles, k: inputs, alpha: 1, beta: 0)
        }
        caderno_winograd_output(m, ldt, outputs, input.tiles_high, input.tiles_wide, first, images, bias,
                                y, outputHeight, outputWidth, field)
        if let activation {
            let out = y + first * outputs * outputHeight * outputWidth
            activation.apply(from: out, to: out, count: images * outputs * outputHeight * outputWidth)
        }
    }
}

/// Makes a scratch buffer hold at least `count` elements, keeping its storage when it can (scratch
/// is megabytes: allocating it afresh costs page faults every time).
func reserveScratch(_ buffer: inout [Float], _ count: Int) {
    if buffer.count < count {
        buffer = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}
