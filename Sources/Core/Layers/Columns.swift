/// Sizes of one convolution over a batch.
struct Geometry {
    let batch, channels, height, width, kernel: Int
    let padTop, padLeft: Int
    let outputHeight, outputWidth: Int

    init(batch: Int, channels: Int, height: Int, width: Int, kernel: Int, padding: Padding) {
        (self.batch, self.channels, self.height, self.width, self.kernel) = (batch, channels, height, width, kernel)
        let total = padding == .same ? kernel - 1 : 0
        padTop = total / 2
        padLeft = total / 2
        outputHeight = height + total - kernel + 1
        outputWidth = width + total - kernel + 1
    }

    var outputArea: Int { outputHeight * outputWidth }
    var columns: Int { batch * outputArea }
    /// Rows of the column matrix: one per input channel and kernel tap.
    var patch: Int { channels * kernel * kernel }

    /// The fewest images in a chunk when a batch is unrolled, multiplied and folded back a few
    /// images at a time (Conv2D with `filters`): about 512 KB of columns, so a chunk is still in
    /// the core's 1 MB L2 cache when the product reads it. But never a product of 10⁶
    /// multiply-adds or fewer: below that OpenBLAS takes small-matrix kernels whose order of
    /// addition depends on the product's width, and the chunks would change the numbers. Above
    /// it each entry of a product is summed the same way whatever the width, so a step chunked
    /// is bit for bit the step done in one product (ConvolutionChunkTests).
    func imagesPerChunk(filters: Int) -> Int {
        let perImage = patch * outputArea
        return max(1, (1 << 17) / perImage, 1_000_000 / (filters * perImage) + 1)
    }

    /// `images` cut into chunks of at least `size` images (all of them if fewer), as even as can
    /// be: a short last chunk would fall below the size.
    func chunks(of images: Range<Int>, size: Int) -> [Range<Int>] {
        let count = max(1, images.count / size)
        return (0..<count).map { images.lowerBound + $0 * images.count / count ..< images.lowerBound + ($0 + 1) * images.count / count }
    }

    /// The images of thread `slot` of `parts`, contiguous.
    func images(slot: Int, of parts: Int) -> Range<Int> {
        slot * batch / parts ..< (slot + 1) * batch / parts
    }

    /// Output columns [first, last) of kernel column j read image columns inside 0..<width; the
    /// rest is padding.
    func inside(_ j: Int) -> (first: Int, last: Int) {
        let first = min(max(0, padLeft - j), outputWidth)
        return (first, max(first, min(outputWidth, width + padLeft - j)))
    }
}

/// The columns of `images`: columns[(c·k + i)·k + j][(n − first image)·Ho·Wo + oh·Wo + ow] =
/// x[n, c, oh + i − padTop, ow + j − padLeft], 0 outside, rows `rowStride` apart (the whole
/// batch's column count when the chunk is written in place, the chunk's own otherwise).
/// Each output row `oh` reads one contiguous run of an input row, so the inner loop is a copy.
func im2col(_ x: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>, _ g: Geometry,
            images: Range<Int>, rowStride: Int) {
    let area = g.kernel * g.kernel
    for row in 0..<g.patch {
        let (c, i, j) = (row / area, row % area / g.kernel, row % g.kernel)
        let (first, last) = g.inside(j)
        let shift = j - g.padLeft
        var target = columns + row * rowStride
        for n in images {
            let image = x + (n * g.channels + c) * g.height * g.width
            for oh in 0..<g.outputHeight {
                let ih = oh + i - g.padTop
                if ih < 0 || ih >= g.height {
                    target.update(repeating: 0, count: g.outputWidth)
                } else {
                    let source = image + ih * g.width + shift
                    for ow in 0..<first { target[ow] = 0 }
                    for ow in first..<last { target[ow] = source[ow] }
                    for ow in last..<g.outputWidth { target[ow] = 0 }
                }
                target += g.outputWidth
            }
        }
    }
}

/// The adjoint of im2col for `images`: every column entry is added back onto the input pixel it
/// came from. Each pixel takes its entries in the order of the kernel taps whatever the images,
/// so folding a batch chunk by chunk gives what folding it whole gives, bit for bit.
func col2im(_ columns: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: Geometry,
            images: Range<Int>, rowStride: Int) {
    let area = g.kernel * g.kernel
    for c in 0..<g.channels {
        for i in 0..<g.kernel {
            for j in 0..<g.kernel {
                let (first, last) = g.inside(j)
                let shift = j - g.padLeft
                var source = columns + (c * area + i * g.kernel + j) * rowStride
                for n in images {
                    let image = dx + (n * g.channels + c) * g.height * g.width
                    for oh in 0..<g.outputHeight {
                        let ih = oh + i - g.padTop
                        if ih >= 0 && ih < g.height {
                            let target = image + ih * g.width + shift
                            for ow in first..<last { target[ow] += source[ow] }
                        }
                        source += g.outputWidth
                    }
                }
            }
        }
    }
}
