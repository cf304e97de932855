/// A procedural domain shift for grey images in [0, 1], in the spirit of MNIST-M (Ganin et al.,
/// JMLR 2016, who blend digits with photo patches): each image is laid over its own random
/// background, out = max(x, 0.6 · background). Ink stays bright; the background fills in around it.
/// Labels do not change.
///
/// The background of each image is a smooth random field: a level, a ramp across rows and columns,
/// and a little per-pixel noise, clipped to [0, 1]; photo patches are not shipped. MNIST-M's own
/// rule, |x − patch|, inverts the digit on bright patches; with 8x8 images and an MLP that made the
/// target unlearnable for every method (about 0.2 accuracy with or without adaptation), so the
/// shift here keeps the digit's polarity: a source-only classifier drops from about 0.9 to 0.5 on it.
public enum TextureShift {
    /// `data` with every row blended; rows are `side`×`side` images, row-major, values in [0, 1].
    public static func apply(to data: Dataset, side: Int, rng: inout RNGStream) -> Dataset {
        precondition(side * side == data.dimension, "rows of \(data.dimension) values are not \(side)x\(side) images")
        var features = data.features
        let last = Double(max(side - 1, 1))
        features.withUnsafeMutableBufferPointer { pixels in
            for row in 0..<data.count {
                let level = rng.nextUnitDouble()
                let rowRamp = rng.nextUnitDouble() - 0.5
                let columnRamp = rng.nextUnitDouble() - 0.5
                for r in 0..<side {
                    for c in 0..<side {
                        let noise = 0.2 * (rng.nextUnitDouble() - 0.5)
                        let background = min(1, max(0, level + rowRamp * Double(r) / last + columnRamp * Double(c) / last + noise))
                        let index = row * data.dimension + r * side + c
                        pixels[index] = Float(max(Double(pixels[index]), 0.6 * background))
                    }
                }
            }
        }
        return Dataset(features: features, labels: data.labels, dimension: data.dimension, classCount: data.classCount,
                       domains: data.domains)
    }
}
