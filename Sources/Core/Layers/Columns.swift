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
    /// the core's 1 MB L2 cache when the product reads it. The product sums each entry the same
    /// way whatever its width (BLAS.swift), so a step chunked is bit for bit the step done in one
    /// product (ConvolutionChunkTests).
    func imagesPerChunk(filters: Int) -> Int {
        max(1, (1 << 17) / (patch * outputArea))
    }

    /// Output columns [first, last) of kernel column j read image columns inside 0..<width; the
    /// rest is padding.
    func inside(_ j: Int) -> (first: Int, last: Int) {
        let first = min(max(0, padLeft - j), outputWidth)
        return (first, max(first, min(outputWidth, width + padLeft - j)))
    }
}

/// How Conv2D cuts a batch: one contiguous part of the images per thread, each part cut into
/// chunks of at least `size` images (all of its images if fewer), as even as can be — a short
/// last chunk would fall below the size. Each part keeps its own scratch, indexed by part.
struct ChunkPlan {
    let batch, parts, size: Int

    init(batch: Int, parts: Int, size: Int) {
        (self.batch, self.parts, self.size) = (batch, parts, size)
    }

    init(_ g: Geometry, filters: Int, threads: Int = BLAS.threads) {
        self.init(batch: g.batch, parts: max(1, min(threads, g.batch)), size: g.imagesPerChunk(filters: filters))
    }

    /// The most images a chunk holds: a part's images over its chunk count stay below 2 × size.
    var largest: Int { min(batch, 2 * size - 1) }

    func forEachChunk(ofPart part: Int, _ body: (Range<Int>) -> Void) {
        let mine = part * batch / parts ..< (part + 1) * batch / parts
        guard !mine.isEmpty else { return }
        let count = max(1, mine.count / size)
        for chunk in 0..<count {
            body(mine.lowerBound + chunk * mine.count / count ..< mine.lowerBound + (chunk + 1) * mine.count / count)
        }
    }

    /// Every chunk in order, on the calling thread (to note the products they will ask for).
    func forEachChunk(_ body: (Range<Int>) -> Void) {
        for part in 0..<parts { forEachChunk(ofPart: part, body) }
    }

    /// body(part, images) for every chunk, the parts at once on the pool's threads.
    func run(_ body: (_ part: Int, _ images: Range<Int>) -> Void) {
        parallelFor(parts, parts: parts) { range in
            for part in range { forEachChunk(ofPart: part) { body(part, $0) } }
        }
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
