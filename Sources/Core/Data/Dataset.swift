import Foundation

/// A named dataset: its training and test sets and the names of its classes.
public struct Dataset: Sendable, Equatable {
    public var name: String
    public var classNames: [String]
    public var train: LabeledData
    public var test: LabeledData

    public init(name: String, classNames: [String], train: LabeledData, test: LabeledData) {
        self.name = name
        self.classNames = classNames
        self.train = train
        self.test = test
    }

    /// Reads the four IDX files of `info` found in `directory` (each `.gz` or already inflated).
    /// Pixels stay 0…255 as stored; `scaled()` brings them to [0, 1].
    /// `limit`/`testLimit` keep the first samples only, for quick experiments.
    public static func load(_ info: DatasetInfo, from directory: String,
                            limit: Int? = nil, testLimit: Int? = nil) throws -> Dataset {
        func path(_ file: DatasetInfo.File) -> String {
            DataStore.existingFile(file.name, in: directory) ?? directory + "/" + file.name
        }
        let classCount = info.classNames.count
        let train = try labeledData(images: path(info.trainImages), labels: path(info.trainLabels),
                                    classCount: classCount, limit: limit)
        let test = try labeledData(images: path(info.testImages), labels: path(info.testLabels),
                                   classCount: classCount, limit: testLimit)
        try checkSameSize(train, test, path(info.testImages))
        return Dataset(name: info.name, classNames: info.classNames, train: train, test: test)
    }

    /// Images [N, 1, H, W] (kept as their bytes, 0…255) and their labels, from an IDX pair.
    public static func labeledData(images imagePath: String, labels labelPath: String,
                                   classCount: Int, limit: Int? = nil) throws -> LabeledData {
        let images = try IDXFile(contentsOf: imagePath, rank: 3)
        let labels = try IDXFile(contentsOf: labelPath, rank: 1)
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw IDXFile.Error(file: labelPath, reason: "\(labels.dimensions[0]) labels for \(images.dimensions[0]) images in \(imagePath)")
        }
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= classCount }) {
            throw IDXFile.Error(file: labelPath, reason: "label \(labels.bytes[bad]) at index \(bad) is not a class (0…\(classCount - 1))")
        }
        let count = min(images.dimensions[0], limit ?? .max)
        let (rows, columns) = (images.dimensions[1], images.dimensions[2])
        let bytes = count == images.dimensions[0] ? images.bytes : Array(images.bytes.prefix(count * rows * columns))
        return LabeledData(inputs: Samples(bytes: bytes, shape: [count, 1, rows, columns]),
                           labels: labels.bytes.prefix(count).map(Int.init), classCount: classCount)
    }
}

extension Dataset {
    /// The four files of a folder in MNIST's layout (train-images-idx3-ubyte, …, `.gz` or not);
    /// the classes are 0 to the largest label.
    public static func loadIDXFolder(_ directory: String, limit: Int?, testLimit: Int?) throws -> Dataset {
        let names = DatasetInfo.mnist
        for file in names.files where DataStore.existingFile(file.name, in: directory) == nil {
            throw DataStore.Error(message: "\(directory) has no \(file.name.dropLast(3)) (nor .gz): an IDX folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte")
        }
        func path(_ file: DatasetInfo.File) -> String { DataStore.existingFile(file.name, in: directory)! }
        // The classes are the training labels' 0…largest; a test label beyond them is an error.
        let labels = try IDXFile(contentsOf: path(names.trainLabels), rank: 1).bytes
        let classes = Int(labels.max() ?? 0) + 1
        let present = Set(labels).count
        if classes - present > present {
            throw IDXFile.Error(file: path(names.trainLabels), reason: "labels run from 0 to \(classes - 1) but only \(present) of those classes have images: IDX labels are class numbers counted from 0")
        }
        let train = try labeledData(images: path(names.trainImages), labels: path(names.trainLabels), classCount: classes, limit: limit)
        let test = try labeledData(images: path(names.testImages), labels: path(names.testLabels), classCount: classes, limit: testLimit)
        try checkSameSize(train, test, path(names.testImages))
        return Dataset(name: (directory as NSString).lastPathComponent, classNames: (0..<classes).map(String.init), train: train, test: test)
    }

    /// Test images the network cannot take are refused at `load`, not at `evaluate`.
    static func checkSameSize(_ train: LabeledData, _ test: LabeledData, _ testImages: String) throws {
        let (a, b) = (Array(train.inputs.shape.dropFirst()), Array(test.inputs.shape.dropFirst()))
        guard a == b else {
            func size(_ shape: [Int]) -> String { shape.dropFirst().map(String.init).joined(separator: "×") }
            throw IDXFile.Error(file: testImages, reason: "test images are \(size(b)), the training images \(size(a)): both sets must have one size")
        }
    }
}
