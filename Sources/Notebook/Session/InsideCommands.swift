import Core
import Foundation

/// Seeing inside the network: what the weights look like, what a layer makes of one image, and
/// what one batch does on its way forward and back (`trace`).
enum Inside {
    enum Picture: String { case weights, filters, activations }

    static let layer = Argument<String?>("layer", default: "the first that fits",
        "a layer: its name in 'summary' (conv2d_1), a short name (conv2, dense1, pool1), or N — the Nth layer of the kind",
        only: ["weights", "filters", "activations"])
    static let channel = Argument<Int>("channel", .atLeast(1), default: 1, "which input channel of each filter", only: ["filters"])
    static let batch = Argument<Int>("batch", .within(1...4096), default: 16, "how many training images, from the first")
}

extension Session {
    static let insideCommands: [Command] = [trace]

    /// The layer `layer=` names, among those of `kind` (every layer when nil): a Keras name from
    /// `summary`, a short name (the kind's Nth: conv2, dense1, pool1), or a number (the Nth of the kind).
    func layer(_ reference: String?, kind: String?, _ model: Sequential, _ arguments: Arguments) throws -> (index: Int, name: String) {
        let rows = model.summary().rows
        let candidates = rows.indices.filter { kind == nil || rows[$0].kind == kind }
        let shortPrefix = ["Conv2D": "conv", "Dense": "dense", "MaxPooling2D": "pool", "Dropout": "dropout"]
        let kindName = kind.map { shortPrefix[$0] ?? $0 } ?? "layer"
        guard !candidates.isEmpty else {
            throw arguments.error(tr("the model has no \(kindName) layer\(kind == "Conv2D" ? tr(" — filters belong to convolutions") : "")"))
        }
        guard let reference else { return (candidates[0], rows[candidates[0]].name) }
        if let index = rows.firstIndex(where: { $0.name == reference.lowercased() }), candidates.contains(index) { return (index, rows[index].name) }
        let digits = reference.drop { !$0.isNumber }
        let prefix = reference.prefix(reference.count - digits.count).lowercased()
        if let n = Int(digits), n >= 1 {
            let pool = prefix.isEmpty ? candidates : rows.indices.filter { shortPrefix[rows[$0].kind] == prefix }
            if n <= pool.count, candidates.contains(pool[n - 1]) { return (pool[n - 1], rows[pool[n - 1]].name) }
        }
        let names = candidates.map { rows[$0].name }
        throw arguments.error(tr("no \(kind == nil ? "" : kindName + " ")layer '\(reference)' — the model's are \(names.joined(separator: ", ")) (or 1…\(names.count))"),
                              at: Inside.layer)
    }

    func inside(_ picture: Inside.Picture, _ arguments: Arguments, n: Int?, index: Int) throws -> ImageGrid {
        let model = try requireModel(arguments)
        let reference = arguments[Inside.layer]
        switch picture {
        case .weights:
            let (at, name) = try layer(reference, kind: "Dense", model, arguments)
            let dense = model.layers[at] as! Dense
            let shape = model.inputShape
            let (height, width) = shape.count == 3 ? (shape[1], shape[2]) : (Int(Double(dense.inputSize).squareRoot()), Int(Double(dense.inputSize).squareRoot()))
            guard dense.inputSize == shape.reduce(1, *), (shape.count == 3 ? shape[0] == 1 : height * width == dense.inputSize) else {
                throw arguments.error(tr("\(name) takes \(count(dense.inputSize)) values from the layer before, not the image's pixels, so its weights make no picture — the first dense layer of an MLP does"),
                                      at: reference == nil ? nil : Inside.layer)
            }
            let shown = min(n ?? 16, dense.outputSize)
            let classes = at == model.layers.lastIndex(where: { $0 is Dense }) ? data?.dataset.classNames : nil
            let images = (0..<shown).map { neuron in
                let row = Array(dense.weight.value.scalars[neuron * dense.inputSize ..< (neuron + 1) * dense.inputSize])
                let caption = classes.map { $0.count == dense.outputSize ? $0[neuron] : nil } ?? nil
                return ImageGrid.Image(width: width, height: height, pixels: scaledToLargest(row), caption: caption ?? "neuron \(neuron + 1)")
            }
            return ImageGrid(title: tr("Weights of \(name) (\(dense.inputSize) → \(dense.outputSize)): \(shown == dense.outputSize ? tr("all \(shown)") : tr("the first \(shown) of \(dense.outputSize)")) neurons, each scaled to its largest"),
                             columns: columns(shown), images: images, signed: true)
        case .filters:
            let (at, name) = try layer(reference, kind: "Conv2D", model, arguments)
            let conv = model.layers[at] as! Conv2D
            let channel = arguments[Inside.channel]
            guard channel <= conv.inputChannels else {
                throw arguments.error(tr("\(name) takes \(conv.inputChannels) channel\(conv.inputChannels == 1 ? "" : "s"): 1 to \(conv.inputChannels)"), at: Inside.channel)
            }
            let area = conv.kernelSize * conv.kernelSize
            let shown = min(n ?? conv.filters, conv.filters)
            let images = (0..<shown).map { filter in
                let start = (filter * conv.inputChannels + channel - 1) * area
                return ImageGrid.Image(width: conv.kernelSize, height: conv.kernelSize,
                                       pixels: scaledToLargest(Array(conv.weight.value.scalars[start ..< start + area])), caption: "\(filter + 1)")
            }
            let which = conv.inputChannels > 1 ? tr(" on input channel \(channel) of \(conv.inputChannels)") : ""
            return ImageGrid(title: tr("Filters of \(name), \(conv.kernelSize)×\(conv.kernelSize)\(which): \(shown == conv.filters ? tr("all \(shown)") : "\(shown) of \(conv.filters)"), each scaled to its largest"),
                             columns: 8, images: images, signed: true)
        case .activations:
            let split = arguments[Self.splitOption]
            let images = try self.images(split, arguments)
            guard index < images.count else {
                throw arguments.error(tr("the \(split.spoken) set has \(count(images.count)) images: 0 to \(images.count - 1)"))
            }
            guard images.inputs.featuresPerSample == model.inputShape.reduce(1, *) else {
                throw arguments.error(tr("the model takes \(formatShape(model.inputShape)) per image; the data has \(formatShape(images.sampleShape))"))
            }
            let (at, name) = try layer(reference, kind: nil, model, arguments)
            let output = model.forward(images.inputs.gatherRows([index]), training: false, layerCount: at + 1)
            let shape = Array(output.shape.dropFirst())
            let values = output.scalars
            let truth = data!.dataset.classNames[images.labels[index]]
            let title = tr("\(split.imageTitle(index)) (a \(truth)) after \(name)")
            let signed = values.contains { $0 < 0 }
            guard shape.count == 3 else {
                // A flat layer: one picture, a square per value.
                let side = Int(Double(values.count).squareRoot().rounded(.up))
                let padded = scaled(values, signed: signed) + Array(repeating: 0, count: side * side - values.count)
                return ImageGrid(title: tr("\(title): its \(values.count) values, row by row"), columns: 1,
                                 images: [.init(width: side, height: side, pixels: padded, caption: tr("\(values.count) values"))], signed: signed)
            }
            let (maps, area) = (shape[0], shape[1] * shape[2])
            let shown = min(n ?? 16, maps)
            let grid = (0..<shown).map { map in
                ImageGrid.Image(width: shape[2], height: shape[1],
                                pixels: scaled(Array(values[map * area ..< (map + 1) * area]), signed: signed), caption: "\(map + 1)")
            }
            return ImageGrid(title: tr("\(title): \(shown == maps ? tr("all \(maps)") : tr("\(shown) of \(maps)")) maps of \(shape[1])×\(shape[2]), each scaled to its largest"),
                             columns: columns(shown), images: grid, signed: signed)
        }
    }

    /// −1 … 1, the largest size in `values` at ±1.
    private func scaledToLargest(_ values: [Float]) -> [Float] {
        let largest = values.map(abs).max() ?? 0
        return largest > 0 ? values.map { $0 / largest } : values
    }

    /// Activations: 0 … 1 by the largest (after ReLU they are ≥ 0), or −1 … 1 when some are negative.
    private func scaled(_ values: [Float], signed: Bool) -> [Float] {
        signed ? scaledToLargest(values) : scaledToLargest(values).map { max($0, 0) }
    }

    private func columns(_ count: Int) -> Int { min(8, max(1, Int(Double(count).squareRoot().rounded(.up)))) }

    static let trace = Command(spec: CommandSpec(
        "trace", group: .training,
        summary: "follow one batch forward and back: each layer's outputs and the size of its gradients",
        usage: "trace [batch=16] [to=FILE.svg]",
        example: "trace batch=16",
        options: [Inside.batch, fileOption]
    )) { session, arguments, output in
        let data = try session.requireData(arguments)
        let model = try session.requireModel(arguments)
        let compiled = try session.requireCompiled(arguments)
        try checkTargets(compiled, data.dataset.train, arguments)
        let train = data.dataset.train
        guard train.inputs.featuresPerSample == model.inputShape.reduce(1, *) else {
            throw arguments.error(tr("the model takes \(formatShape(model.inputShape)) per image; the data has \(formatShape(train.sampleShape))"))
        }
        let rows = 0..<min(arguments[Inside.batch], train.count)
        // A training step's pass without its update; dropout draws from its stream, which is put back after.
        let snapshot = model.snapshot()
        defer { model.restore(snapshot) }
        let (layerCount, loss) = model.trainingPath(for: compiled.loss)
        var x = train.inputs.gatherRows(rows)
        x = x.reshaped([rows.count] + model.inputShape)
        var outputs: [(mean: Double, std: Double, zeros: Double, shape: [Int])] = []
        for layer in model.layers.prefix(layerCount) {
            x = layer.forward(x, training: true)
            let zeros = Double(x.scalars.lazy.filter { $0 == 0 }.count) / Double(max(x.scalars.count, 1))
            outputs.append((mean(x.scalars), standardDeviation(x.scalars), zeros, Array(x.shape.dropFirst())))
        }
        let (value, gradient) = loss.lossAndGradient(x, train.targets(rows))
        model.zeroGradients()
        var outputGradients = [Double](repeating: 0, count: layerCount)
        var g = gradient
        for index in (0..<layerCount).reversed() {
            outputGradients[index] = norm(g.scalars)
            g = model.layers[index].backward(g, needsInputGradient: index > 0)
        }
        let summary = model.summary().rows
        let input = train.inputs.gatherRows(rows).scalars
        let inputZeros = Double(input.lazy.filter { $0 == 0 }.count) / Double(max(input.count, 1))
        var table = [["input", kerasShape(model.inputShape), fixed(mean(input)), fixed(standardDeviation(input)), wholePercent(inputZeros), "", ""]]
        for index in 0..<layerCount {
            let weights = model.layers[index].parameters.first { $0.decays }
            table.append([summary[index].name, kerasShape(outputs[index].shape), fixed(outputs[index].mean), fixed(outputs[index].std),
                          wholePercent(outputs[index].zeros), scientific(outputGradients[index]), weights.map { scientific(norm($0.gradient.scalars)) } ?? ""])
        }
        output.emit(.text(trFormat("Loss %.4f on the first %@ training images (%@).", value, count(rows.count), compiled.lossName.name)
                          + (layerCount < model.layers.count ? tr(" The softmax runs inside the loss, as in training.") : "")))
        output.emit(.table(Table(headers: [tr("layer"), tr("output"), tr("mean"), tr("std"), tr("zeros"), tr("‖∂L/∂output‖"), tr("‖∂L/∂W‖")], rows: table,
                                 alignments: [.left, .left, .right, .right, .right, .right, .right])))
        let withWeights = (0..<layerCount).filter { model.layers[$0].parameters.contains { $0.decays } }
        let norms = withWeights.map { norm(model.layers[$0].parameters.first { $0.decays }!.gradient.scalars) }
        try session.emitPicture(.bars(BarChart(title: tr("Size of each layer's weight gradient, ‖∂L/∂W‖ (first layer at the top)"),
                                               labels: withWeights.map { summary[$0].name }, values: norms,
                                               valueTexts: norms.map(scientific))), arguments, output)
        output.emit(.note(tr("zeros: outputs exactly 0 (after a ReLU: neurons that are off). Gradients that vanish shrink toward ")
                          + tr("the first layer; exploding ones grow. Nothing was updated.")))
    }
}

private func mean(_ values: [Float]) -> Double { values.isEmpty ? 0 : values.reduce(0) { $0 + Double($1) } / Double(values.count) }

private func standardDeviation(_ values: [Float]) -> Double {
    let m = mean(values)
    return values.isEmpty ? 0 : (values.reduce(0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(values.count)).squareRoot()
}

private func norm(_ values: [Float]) -> Double { values.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
/// Four decimals, without a "-0.0000" for a tiny negative.
private func fixed(_ x: Double) -> String {
    let text = String(format: "%.4f", x)
    return text == "-0.0000" ? "0.0000" : text
}
private func scientific(_ x: Double) -> String { String(format: "%.2e", x) }
private func wholePercent(_ x: Double) -> String { String(format: "%.0f%%", x * 100) }
