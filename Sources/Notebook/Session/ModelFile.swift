import Core
import Foundation

/// A model as `save model` writes it: a safetensors file whose tensors are the weights under
/// PyTorch's names for the equivalent `nn.Sequential` (`0.weight`, `0.bias`, `3.weight` …; a
/// convolution's activation counts as a module of its own, as in PyTorch), and whose metadata holds
/// everything needed to carry on: the layers (from the layer table), the preprocessing, the class
/// names, the `compile` line, the history and Caderno's version. With the optimizer included, its
/// buffers sit under the same names (`0.weight.exp_avg` …) and the random streams' positions in
/// the metadata, so training continues exactly where it stopped.
enum ModelFile {
    static let format = "caderno-model/1"

    /// What the data went through before the model saw it.
    struct Preprocessing: Codable, Equatable {
        var normalization: String?      // "scale", "standardize", or nil: raw 0…255
        var mean: Float?
        var std: Float?
        var oneHot: Bool

        enum CodingKeys: String, CodingKey {
            case normalization, mean, std
            case oneHot = "one_hot"
        }

        var sentence: String {
            switch normalization {
            case "scale": tr("pixels scaled to [0, 1]")
            case "standardize": trFormat("standardized pixels (mean %.2f, standard deviation %.2f)", mean ?? 0, std ?? 1)
            default: tr("raw pixels, 0 to 255")
            }
        }
    }

    struct Epoch: Codable {
        var epoch: Int
        var loss: Double
        var accuracy: Double
        var val_loss: Double?
        var val_accuracy: Double?
        var seconds: Double
        /// Present (true) only for an epoch Ctrl-C cut short.
        var interrupted: Bool?
    }

    /// The random streams' positions, so training goes on drawing what it would have drawn.
    struct Streams: Codable {
        var session: [UInt64]
        var layers: [[UInt64]]
        var optimizerSteps: Int

        enum CodingKeys: String, CodingKey {
            case session, layers
            case optimizerSteps = "optimizer_steps"
        }
    }

    /// Each parameter and its name, PyTorch's: the module's index in the equivalent `nn.Sequential`.
    static func names(_ model: Sequential) -> [(Parameter, String)] {
        var index = 0, named: [(Parameter, String)] = []
        for layer in model.layers {
            named += layer.parameters.map { ($0, "\(index).\($0.name)") }
            index += (layer as? Conv2D)?.activation == nil ? 1 : 2
        }
        return named
    }

    static func bufferNames(_ optimizer: any Optimizer) -> [String] {
        optimizer is Adam ? ["exp_avg", "exp_avg_sq"] : ["momentum_buffer"]
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    static func encode(_ session: Session, model: Sequential, includeOptimizer: Bool) -> SafeTensors {
        let data = session.data
        let preprocessing = Preprocessing(normalization: data?.normalization?.name, mean: data?.standardization?.mean,
                                          std: data?.standardization?.std, oneHot: data?.dataset.train.oneHot ?? false)
        var metadata = ["format": format, "caderno": cadernoVersion,
                        "model": json(Session.configuration(of: model)),
                        "preprocessing": json(preprocessing),
                        "history": json(session.history.map {
                            Epoch(epoch: $0.epoch, loss: $0.loss, accuracy: $0.accuracy, val_loss: $0.validationLoss,
                                  val_accuracy: $0.validationAccuracy, seconds: $0.seconds, interrupted: $0.interrupted ? true : nil) })]
        if let data {
            metadata["classes"] = json(data.dataset.classNames)
            metadata["dataset"] = data.dataset.name
        }
        if let compiled = session.compiled { metadata["compile"] = compiled.line }
        var tensors = names(model).map { (name: $0.1, value: $0.0.value) }
        if includeOptimizer, let compiled = session.compiled {
            let state = compiled.optimizer.state
            for (parameter, name) in names(model) {
                guard let buffers = state.buffers(for: parameter) else { continue }
                for (buffer, values) in zip(bufferNames(compiled.optimizer), buffers) {
                    tensors.append((name: "\(name).\(buffer)", value: Tensor(shape: parameter.value.shape, scalars: values)))
                }
            }
            metadata["streams"] = json(Streams(session: session.random.position.values,
                                               layers: model.layers.compactMap(\.randomSource).map(\.position.values),
                                               optimizerSteps: state.steps))
        }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    /// A model file read back: the model rebuilt with its weights, and what else it holds.
    struct Contents {
        var model: Sequential
        var preprocessing: Preprocessing?
        var classes: [String]?
        var compileLine: String?
        var history: [EpochRecord]
        var buffers: [String: Tensor]
        var streams: Streams?
    }

    static func decode(_ file: SafeTensors, path: String, random: RandomSource) throws -> Contents {
        func fail(_ problem: String, _ tensor: String? = nil) -> SafeTensors.Error { .init(file: path, tensor: tensor, problem: Message(verbatim: problem)) }
        func decoded<T: Decodable>(_ key: String, as type: T.Type) throws -> T? {
            guard let text = file.metadata[key] else { return nil }
            do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
                throw fail(tr("its __metadata__ '\(key)' is not what Caderno writes there"))
            }
        }
        guard let configuration = try decoded("model", as: ModelConfiguration.self) else {
            throw fail(tr("it has no model description ('model' in __metadata__): Caderno saves one; this file holds weights alone"))
        }
        let model: Sequential
        do { model = try Session.model(from: configuration, random: random) } catch let error as CommandError {
            throw fail(tr("its model description does not build: \(error.message)"))
        } catch {
            throw fail(tr("its model description does not build: \(tr(error: error))"))
        }
        var unused = Dictionary(file.tensors.map { ($0.name, $0.value) }) { first, _ in first }
        for (parameter, name) in names(model) {
            guard let value = unused.removeValue(forKey: name) else { throw fail(tr("the description needs this tensor, and the file has none"), name) }
            guard value.shape == parameter.value.shape else {
                throw fail(tr("its shape is \(value.shape), but the description makes it \(parameter.value.shape)"), name)
            }
            parameter.value = value
        }
        let names = Set(self.names(model).map(\.1))
        var buffers: [String: Tensor] = [:]
        for (name, value) in unused {
            let parts = name.split(separator: ".")
            guard parts.count == 3, names.contains(parts.prefix(2).joined(separator: ".")),
                  ["momentum_buffer", "exp_avg", "exp_avg_sq"].contains(String(parts[2])) else {
                throw fail(tr("the model description has no place for this tensor"), name)
            }
            buffers[name] = value
        }
        let history = (try decoded("history", as: [Epoch].self) ?? []).map {
            EpochRecord(epoch: $0.epoch, loss: $0.loss, accuracy: $0.accuracy, validationLoss: $0.val_loss,
                        validationAccuracy: $0.val_accuracy, seconds: $0.seconds, interrupted: $0.interrupted ?? false)
        }
        return Contents(model: model, preprocessing: try decoded("preprocessing", as: Preprocessing.self),
                        classes: try decoded("classes", as: [String].self), compileLine: file.metadata["compile"],
                        history: history, buffers: buffers, streams: try decoded("streams", as: Streams.self))
    }
}
