/// The datasets Caderno knows by name: their files, published checksums, mirrors and class names.
public struct DatasetInfo: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public let name: String   // as published, gzip-compressed
        public let md5: String
    }

    public let name: String
    public let title: String
    public let classNames: [String]
    public let trainImages: File
    public let trainLabels: File
    public let testImages: File
    public let testLabels: File
    /// Base URLs tried in order; a file's URL is the base followed by its name.
    public let mirrors: [String]

    public var files: [File] { [trainImages, trainLabels, testImages, testLabels] }

    public static let mnist = DatasetInfo(
        name: "mnist",
        title: "MNIST handwritten digits",
        classNames: (0...9).map(String.init),
        trainImages: File(name: "train-images-idx3-ubyte.gz", md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        trainLabels: File(name: "train-labels-idx1-ubyte.gz", md5: "d53e105ee54ea40749a09fcbcd1e9432"),
        testImages: File(name: "t10k-images-idx3-ubyte.gz", md5: "9fb629c4189551a2d022fa330f9573f3"),
        testLabels: File(name: "t10k-labels-idx1-ubyte.gz", md5: "ec29112dd5afa0611ce80d1b7f02629c"),
        mirrors: [
            "https://ossci-datasets.s3.amazonaws.com/mnist/",        // torchvision's mirror
            "https://storage.googleapis.com/cvdf-datasets/mnist/",   // TensorFlow's
        ]
    )

    public static let fashionMNIST = DatasetInfo(
        name: "fashion-mnist",
        title: "Fashion-MNIST (Zalando)",
        classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        trainImages: File(name: "train-images-idx3-ubyte.gz", md5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        trainLabels: File(name: "train-labels-idx1-ubyte.gz", md5: "25c81989df183df01b3e8a0aad5dffbe"),
        testImages: File(name: "t10k-images-idx3-ubyte.gz", md5: "bef4ecab320f06d8554ea6380940ec79"),
        testLabels: File(name: "t10k-labels-idx1-ubyte.gz", md5: "bb300cfdad3c16e7a12a480ee83cd310"),
        mirrors: [
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        ]
    )

    public static let catalog: [DatasetInfo] = [.mnist, .fashionMNIST]

    public static func named(_ name: String) -> DatasetInfo? {
        catalog.first { $0.name == name.lowercased() }
    }
}
