import Foundation

/// Random rotations and shifts of training images, drawn afresh for every batch: the network sees
/// digits at other angles and positions (the ANN_MNIST project's suggested improvement).
/// Inverse mapping with bilinear interpolation; pixels from outside the image are 0 (background).
public struct Augmentation: Sendable, Equatable {
    /// The largest rotation either way, in degrees.
    public var rotation: Float
    /// The largest shift either way, in pixels (horizontal and vertical drawn separately).
    public var shift: Float

    public init(rotation: Float = 0, shift: Float = 0) {
        self.rotation = rotation
        self.shift = shift
    }

    /// Rotates and shifts each image of `batch` [N, C, H, W] by its own random amounts.
    public func apply(to batch: inout Tensor, random: RandomSource) {
        precondition(batch.rank == 4, "augmentation needs images [N, C, H, W], got \(batch.shape)")
        let (channels, height, width) = (batch.shape[1], batch.shape[2], batch.shape[3])
        let plane = height * width
        var scratch = [Float](repeating: 0, count: plane)
        batch.scalars.withUnsafeMutableBufferPointer { pixels in
            for n in 0..<batch.shape[0] {
                let angle = random.nextFloat(in: -rotation, rotation) * .pi / 180
                let dx = random.nextFloat(in: -shift, shift), dy = random.nextFloat(in: -shift, shift)
                for c in 0..<channels {
                    let image = UnsafeMutableBufferPointer(rebasing: pixels[((n * channels + c) * plane)...].prefix(plane))
                    Self.transform(image, height: height, width: width, angle: angle, dx: dx, dy: dy, scratch: &scratch)
                }
            }
        }
    }

    /// One image, rotated by `angle` radians (counter-clockwise as seen) about its centre, then moved
    /// by (dx, dy) pixels (right, down).
    static func transform(_ image: UnsafeMutableBufferPointer<Float>, height: Int, width: Int,
                          angle: Float, dx: Float, dy: Float, scratch: inout [Float]) {
        let (cosine, sine) = (cos(angle), sin(angle))
        let (cy, cx) = (Float(height - 1) / 2, Float(width - 1) / 2)
        scratch.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                for x in 0..<width {
                    // Where this output pixel comes from: undo the shift, then the rotation.
                    let (u, v) = (Float(x) - dx - cx, Float(y) - dy - cy)
                    let sx = cosine * u - sine * v + cx
                    let sy = sine * u + cosine * v + cy
                    out[y * width + x] = bilinear(image, height: height, width: width, x: sx, y: sy)
                }
            }
            _ = image.update(fromContentsOf: out)
        }
    }

    @inline(__always)
    static func bilinear(_ image: UnsafeMutableBufferPointer<Float>, height: Int, width: Int, x: Float, y: Float) -> Float {
        // Far outside (or NaN, which fails every comparison) is background; and Int() of a huge Float would trap.
        guard x > -2, y > -2, x < Float(width + 1), y < Float(height + 1) else { return 0 }
        let (x0, y0) = (Int(x.rounded(.down)), Int(y.rounded(.down)))
        let (fx, fy) = (x - Float(x0), y - Float(y0))
        func pixel(_ row: Int, _ column: Int) -> Float {
            row >= 0 && row < height && column >= 0 && column < width ? image[row * width + column] : 0
        }
        let top = pixel(y0, x0) * (1 - fx) + pixel(y0, x0 + 1) * fx
        let bottom = pixel(y0 + 1, x0) * (1 - fx) + pixel(y0 + 1, x0 + 1) * fx
        return top * (1 - fy) + bottom * fy
    }
}
