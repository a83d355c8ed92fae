@testable import Core
import Foundation
import Testing
@testable import Notebook

/// Every input surface fed what a hostile tester would feed it (issue 13's findings among them).
/// Each case names the exact one-line error; after it, the session — data, weights, optimizer,
/// random source, history — and every file in its folder are as they were.
@Suite struct BadInputTests {
    /// How far a session has got before the bad line.
    enum Stage: CaseIterable, Sendable {
        case fresh, data, model, compiled, trained

        var setUp: [String] {
            switch self {
            case .fresh: []
            case .data: ["load idx ."]
            case .model: ["load idx .", "normalize", "build mlp 36-8-3"]
            case .compiled: Stage.model.setUp + ["compile optimizer=sgd lr=0.1"]
            case .trained: Stage.compiled.setUp + ["train epochs=1 batch=16"]
            }
        }
    }

    static let megabyteLine = "train epochs=" + String(repeating: "9", count: 1 << 20)

    /// (stage, the line, its error).
    static let lines: [(Stage, String, String)] = [
        // Unknown commands and options, wrong forms.
        (.fresh, "trian", "unknown command 'trian' (did you mean 'train'?)"),
        (.fresh, "frobnicate", "unknown command 'frobnicate' — type 'help' for the list"),
        (.fresh, "123", "a command starts with its name, e.g. 'load mnist'"),
        (.fresh, "\"load\" mnist", "a command starts with its name, e.g. 'load mnist'"),
        (.fresh, "load \"mnist", "this quote is not closed"),
        (.fresh, "seed =3", "an option needs a name before '='"),
        (.fresh, "seed", "'seed' needs the seed, a whole number ≥ 0 (usage: seed N)"),
        (.trained, "train epoch=3", "unknown option 'epoch' for 'train' (did you mean 'epochs'?)"),
        (.trained, "train epochs=", "option 'epochs' needs a value after '='"),
        (.trained, "train epochs=1,,2", "a list has an empty item: '1,,2'"),
        (.trained, "train 3", "'train' takes no positional arguments; '3' is one too many (usage: train [epochs=N] [batch=N] [validation=X] [early-stop=N] [shuffle=true])"),
        (.trained, "train epochs=3 epochs=4", "option 'epochs' is given twice"),
        // Numbers: NaN, infinities, hexadecimal, negative, zero, huge.
        (.trained, "train epochs=0x10", "epochs must be a whole number, got '0x10'"),
        (.trained, "train epochs=nan", "epochs must be a whole number, got 'nan'"),
        (.trained, "train epochs=inf", "epochs must be a whole number, got 'inf'"),
        (.trained, "train epochs=0", "epochs must be ≥ 1, got 0"),
        (.trained, "train epochs=-2", "epochs must be ≥ 1, got -2"),
        (.trained, "train epochs=1.5", "epochs must be a whole number, got '1.5'"),
        (.trained, "train epochs=1e12", "epochs must be ≤ 100000, got 1000000000000"),
        (.trained, "train epochs=99999999999999999999999", "epochs is too large, at most 100000, got '99999999999999999999999'"),
        (.trained, "train epochs=1e999", "epochs is too large, at most 100000, got '1e999'"),
        (.trained, megabyteLine, "epochs is too large, at most 100000, got '\(megabyteLine.dropFirst(13))'"),
        (.trained, "train batch=0", "batch must be ≥ 1, got 0"),
        (.trained, "train batch=10000000000", "a batch of 10,000,000,000 needs \(Memory.describe(Self.batchBytes(10_000_000_000))) of memory; this machine has \(Memory.describe(Memory.available)) available"),
        (.trained, "train validation=1", "validation must be between 0 and 1 (exclusive), got 1"),
        (.trained, "train validation=nan", "validation must be a number, got a word 'nan'"),
        (.trained, "train shuffle=maybe", "shuffle must be true or false, got 'maybe'"),
        (.trained, "train early-stop=2", "early-stop watches the validation loss, and there is no validation set: run split validation=0.1 first, or add validation=0.1"),
        (.compiled, "compile lr=nan", "lr must be a number, got a word 'nan'"),
        (.compiled, "compile lr=inf", "lr must be a number, got a word 'inf'"),
        (.compiled, "compile lr=-inf", "lr must be a number, got a word '-inf'"),
        (.compiled, "compile lr=1e999", "lr is too large, got '1e999'"),
        (.compiled, "compile lr=0", "lr must be > 0, got 0"),
        (.compiled, "compile lr=-0.1", "lr must be > 0, got -0.1"),
        (.compiled, "compile momentum=1", "momentum must be ≥ 0 and < 1, got 1"),
        (.compiled, "compile momentum=-0.5", "momentum must be ≥ 0 and < 1, got -0.5"),
        (.compiled, "compile optimizer=rmsprop", "optimizer can't be 'rmsprop': choose sgd, adam"),
        (.compiled, "compile optimizer=adam momentum=0.9", "momentum is an SGD setting; Adam keeps its own moments (beta1, beta2)"),
        (.compiled, "compile beta1=0.9", "beta1 is an Adam setting — add optimizer=adam"),
        (.compiled, "compile nesterov=true", "Nesterov momentum needs momentum > 0"),
        (.compiled, "compile weight-decay=-1", "weight-decay must be ≥ 0, got -1"),
        (.fresh, "seed -1", "'n' must be ≥ 0, got -1"),
        (.fresh, "seed 1.5", "'n' must be a whole number, got '1.5'"),
        (.fresh, "seed 99999999999999999999", "'n' is too large, at most 999999999999999, got '99999999999999999999'"),
        (.data, "augment shift=1e19", "shift must be ≤ 100, got 1e+19"),
        (.data, "augment shift=1e999", "shift is too large, at most 100, got '1e999'"),
        (.data, "augment shift=1e9", "shift must be ≤ 100, got 1000000000"),
        (.data, "augment rotate=181", "rotate must be ≤ 180, got 181"),
        (.data, "augment rotate=-5", "rotate must be ≥ 0, got -5"),
        (.data, "augment", "say how much: augment rotate=15 shift=2 (or augment off)"),
        (.data, "split validation=0.9999999", "validation=0.9999999 of 90 images leaves one side empty"),
        (.data, "split validation=0", "validation must be between 0 and 1 (exclusive), got 0"),
        (.data, "load mnist limit=0", "limit must be ≥ 1, got 0"),
        (.data, "load idx", "'load idx' needs the folder that holds the IDX files"),
        (.data, "load idx ./nowhere", "\(Self.placeholder)/nowhere has no train-images-idx3-ubyte (nor .gz): an IDX folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte"),
        (.data, "normalize method=zscore", "unknown option 'method' for 'normalize'"),
        // Sizes nobody can allocate, and layers that do not fit.
        (.data, "build mlp 36-100000000000-3", "a layer of 3,700,000,000,000 parameters needs \(Memory.describe(3_700_000_000_000 * 16)) of memory; this machine has \(Memory.describe(Memory.available)) available"),
        (.data, "build mlp 36-99999999999999999999-3", "a size is too large: '36-99999999999999999999-3'"),
        (.data, "build mlp 36-0-3", "an MLP is built from layer sizes joined by '-', like 784-128-64-10"),
        (.data, "build mlp 36 8 3", "an MLP is built from layer sizes joined by '-', like 784-128-64-10"),
        (.data, "build mlp 784-128-3", "the data has 36 values per image, so the first size must be 36, not 784"),
        (.data, "build mlp 36-8-10", "the data has 3 classes, so the last size must be 3, not 10"),
        (.data, "build input 100000x100000x3", "the data's images are 6×6×1 (height×width×channels): build input 6x6x1"),
        (.fresh, "build input 1000000x1000000x1000", "one sample of (None, 1000000, 1000000, 1000) needs \(Memory.describe(4_000_000_000_000_000)) of memory; this machine has \(Memory.describe(Memory.available)) available"),
        (.fresh, "build input 0x5x1", "an input shape is height×width×channels, like 28x28x1, or a number of features, like 784"),
        (.model, "add dense 10", "the model already ends with log-softmax, its output: a layer after it would learn from probabilities. Start again with 'build input', or build mlp … output=none to add your own last layers"),
        (.model, "add dropout nan", "'add dropout' needs a rate from 0 up to (not including) 1, like: add dropout 0.5"),
        (.model, "add pancake", "'layer' can't be 'pancake': choose dense, conv2d, maxpool, dropout, leaky-relu, flatten, relu, sigmoid, tanh, softmax, log-softmax"),
        (.fresh, "add dense 10", "no model yet — try: build mlp 784-128-64-10"),
        // Each command before what it needs.
        (.fresh, "train", "no data yet — try: load mnist"),
        (.fresh, "evaluate", "no data yet — try: load mnist"),
        (.fresh, "normalize", "no data yet — try: load mnist"),
        (.fresh, "split", "no data yet — try: load mnist"),
        (.fresh, "summary", "no model yet — try: build mlp 784-128-64-10"),
        (.fresh, "compile", "no model yet — try: build mlp 784-128-64-10"),
        (.fresh, "save model m.safetensors", "no model yet — try: build mlp 784-128-64-10"),
        (.fresh, "plot loss", "no training yet — train first, e.g. train epochs=5"),
        (.fresh, "export x.nb", "nothing to export yet — the session has run no commands"),
        (.model, "train", "the model is not compiled yet — try: compile optimizer=sgd lr=0.01"),
        (.data, "show samples n=0", "n must be ≥ 1, got 0"),
        (.trained, "show samples on=validation", "there is no validation set — split first, e.g. split validation=0.15"),
        // Files: wrong names, folders, links, read-only files.
        (.trained, "roc to=r.png", "to= takes an .svg file name, got 'r.png'"),
        (.trained, "save model m.txt", "a model file ends in .safetensors, e.g. m.safetensors"),
        (.trained, "save model folder.safetensors", "folder.safetensors is a folder"),
        (.trained, "save model link.safetensors", "link.safetensors is a symbolic link (to victim.txt); Caderno does not write through links: remove it or choose another name"),
        (.trained, "plot loss to=readonly.svg", "readonly.svg is read-only: make it writable, or choose another name"),
        (.trained, "plot loss to=link.svg", "link.svg is a symbolic link (to victim.txt); Caderno does not write through links: remove it or choose another name"),
        (.trained, "plot loss to=fifo.svg", "fifo.svg is not a plain file (a device, a pipe or a socket)"),
        (.trained, "plot loss to=no/such/folder/x.svg", "cannot write \(Self.placeholder)/no/such/folder/x.svg: there is no folder \(Self.placeholder)/no/such/folder"),
        (.trained, "export x.pdf", "export writes .nb, .md, .html or .ipynb files, got 'x.pdf'"),
        (.trained, "load model missing.safetensors", "\(Self.placeholder)/missing.safetensors: no such file"),
        (.trained, "load model folder.safetensors", "\(Self.placeholder)/folder.safetensors: this is a folder, not a file"),
        (.trained, "load model fifo.svg", "\(Self.placeholder)/fifo.svg: cannot read it: it is not a plain file (a device, a pipe or a socket)"),
        (.trained, "load model victim.txt", "\(Self.placeholder)/victim.txt: the header claims 8319678385066701424 bytes, more than the 100000000 a safetensors header may have"),
        // Control characters and invalid UTF-8 come out escaped, not raw.
        (.fresh, "\u{1B}[2Jtrain", "a command starts with its name, e.g. 'load mnist'"),
        (.fresh, "train\u{7}", "a command starts with its name, e.g. 'load mnist'"),
        (.fresh, "load \u{0}", "'dataset' can't be '\\0': choose mnist, fashion-mnist, idx, model"),
    ]

    /// The memory `train batch=N` asks for with the tiny MLP (36-8-3: input, then each layer's
    /// output three times).
    static func batchBytes(_ batch: Int) -> Int { (36 + 3 * (8 + 8 + 3 + 3)) * batch * 4 }

    @Test(arguments: Stage.allCases)
    func commandLines(_ stage: Stage) throws {
        let h = try SessionHarness()
        let folder = URL(fileURLWithPath: h.directory.path).resolvingSymlinksInPath().path
        try h.run(stage.setUp)
        // Things to trip over: a folder, links to a victim, a read-only file, a pipe.
        h.directory.write("victim.txt", Data("precious".utf8))
        try FileManager.default.createDirectory(atPath: folder + "/folder.safetensors", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.safetensors", withDestinationPath: "victim.txt")
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.svg", withDestinationPath: "victim.txt")
        h.directory.write("readonly.svg", Data("<svg/>".utf8))
        chmod(folder + "/readonly.svg", 0o444)
        mkfifo(folder + "/fifo.svg", 0o644)
        let files = try Self.listing(folder)
        for (caseStage, line, expected) in Self.lines where caseStage == stage {
            let before = AllOrNothingTests.Fingerprint(h.session)
            let said = h.failure(line).map { $0.replacingOccurrences(of: h.directory.path, with: "\(folder)") }
            let wanted = shortened(expected.replacingOccurrences(of: Self.placeholder, with: folder))
            #expect(said == wanted, "\(line.prefix(60))")
            #expect(AllOrNothingTests.Fingerprint(h.session) == before, "\(line.prefix(60)) changed the session")
            #expect(try Self.listing(folder) == files, "\(line.prefix(60)) changed the files")
        }
    }

    // MARK: - IDX files, through `load idx`

    /// A damaged copy of one of the four files: (the file, what is done to it, the error after the file's path).
    static let idxCases: [(String, @Sendable (Data) throws -> Data, String)] = [
        ("train-labels-idx1-ubyte", { _ in Data([0, 0, 8, 4] + [UInt8](repeating: 0xFF, count: 16)) },
         "magic 00 00 08 04 gives 4 as the number of dimensions; a labels file has 1 (magic 00 00 08 01)"),
        ("train-images-idx3-ubyte", { _ in Data([0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12)) },
         "its header claims 4294967295×4294967295×4294967295 elements, more than 10¹² bytes"),
        ("train-labels-idx1-ubyte", { _ in Data([0, 0, 8, 1, 0xFF, 0xFF, 0xFF, 0xFF]) }, "truncated: 4294967295 needs 4294967295 bytes of data, the file has 0"),
        ("train-labels-idx1-ubyte", { _ in Data() }, "is empty"),
        ("train-labels-idx1-ubyte", { _ in Data([0, 0]) }, "too short for an IDX header (2 bytes)"),
        ("train-images-idx3-ubyte", { Data([7, 7]) + $0.dropFirst(2) }, "not an IDX file (magic 07 07 08 03)"),
        ("train-images-idx3-ubyte", { var d = $0; d[2] = 0x0D; return d }, "element type 0x0d is not supported (only unsigned bytes, 0x08)"),
        ("train-images-idx3-ubyte", { $0.prefix(10) }, "the header is cut short: 3 dimension sizes need 16 bytes, the file has 10"),
        ("train-images-idx3-ubyte", { $0.dropLast(3) }, "truncated: 90×6×6 needs 3240 bytes of data, the file has 3237"),
        ("train-images-idx3-ubyte", { $0 + Data([1]) }, "1 bytes of trailing data after 90×6×6 elements"),
        ("train-images-idx3-ubyte", { _ in IDXFile.encode(dimensions: [0, 6, 6], bytes: []) }, "holds no items (0×6×6)"),
        ("train-labels-idx1-ubyte", { _ in IDXFile.encode(dimensions: [89], bytes: [UInt8](repeating: 1, count: 89)) },
         "89 labels for 90 images in \(placeholder)/bad/train-images-idx3-ubyte"),
        ("train-labels-idx1-ubyte", { _ in IDXFile.encode(dimensions: [90], bytes: (0..<90).map { $0 == 5 ? 200 : UInt8($0 % 3) }) },
         "labels run from 0 to 200 but only 4 of those classes have images: IDX labels are class numbers counted from 0"),
        ("t10k-labels-idx1-ubyte", { _ in IDXFile.encode(dimensions: [30], bytes: (0..<30).map { $0 == 7 ? 3 : UInt8($0 % 3) }) },
         "label 3 at index 7 is not a class (0…2)"),
        ("t10k-images-idx3-ubyte", { _ in IDXFile.encode(dimensions: [30, 3, 3], bytes: [UInt8](repeating: 9, count: 270)) },
         "test images are 3×3, the training images 6×6: both sets must have one size"),
        // gzip: corrupt, cut short, a bomb bounded by the header's promise.
        ("train-images-idx3-ubyte", { try Gzip.compress($0).prefix(200) }, "the gzip stream is truncated (it ends after 200 bytes)"),
        ("train-images-idx3-ubyte", { var d = try Gzip.compress($0); d[20] ^= 0xFF; d[21] ^= 0xFF; return d }, "the gzip stream is corrupted (invalid code -- missing end-of-block)"),
        ("train-images-idx3-ubyte", { try Gzip.compress($0 + Data(count: 50_000_000), level: 9) }, "more data than the header's 90×6×6 elements"),
        ("train-images-idx3-ubyte", { try Gzip.compress($0) + Data("junk".utf8) }, "4 bytes after the end of the gzip stream are not gzip"),
    ]

    @Test(arguments: idxCases.indices)
    func idxFiles(_ index: Int) throws {
        let (name, damage, reason) = Self.idxCases[index]
        let h = try SessionHarness()
        let folder = URL(fileURLWithPath: h.directory.path).resolvingSymlinksInPath().path
        for file in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
            let original = FileManager.default.contents(atPath: folder + "/" + file)!
            h.directory.write("bad/" + file, file == name ? try damage(original) : original)
        }
        let files = try Self.listing(folder)
        let before = AllOrNothingTests.Fingerprint(h.session)
        let said = h.failure("load idx bad")?.replacingOccurrences(of: h.directory.path, with: folder)
        #expect(said == "\(folder)/bad/\(name): " + reason.replacingOccurrences(of: Self.placeholder, with: folder))
        #expect(AllOrNothingTests.Fingerprint(h.session) == before)
        #expect(try Self.listing(folder) == files)
    }

    /// A folder, a loop of symbolic links and a pipe where an IDX file should be.
    @Test func idxPathsThatAreNotFiles() throws {
        let h = try SessionHarness()
        let folder = URL(fileURLWithPath: h.directory.path).resolvingSymlinksInPath().path
        let names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
        let cases: [(String, (String) throws -> Void, String)] = [
            ("folder", { try FileManager.default.createDirectory(atPath: $0, withIntermediateDirectories: true) }, "cannot be read: it is a folder, not a file"),
            ("loop", { path in
                try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: path + ".other")
                try FileManager.default.createSymbolicLink(atPath: path + ".other", withDestinationPath: path)
            }, "cannot be read: the path goes round a loop of symbolic links"),
            ("pipe", { mkfifo($0, 0o644) }, "cannot be read: it is not a plain file (a device, a pipe or a socket)"),
        ]
        for (label, make, reason) in cases {
            for name in names where name != "train-labels-idx1-ubyte" {
                h.directory.write(label + "/" + name, FileManager.default.contents(atPath: folder + "/" + name)!)
            }
            try make(folder + "/" + label + "/train-labels-idx1-ubyte")
            let before = AllOrNothingTests.Fingerprint(h.session)
            #expect(h.failure("load idx \(label)")?.replacingOccurrences(of: h.directory.path, with: folder)
                    == "\(folder)/\(label)/train-labels-idx1-ubyte: " + reason, "\(label)")
            #expect(AllOrNothingTests.Fingerprint(h.session) == before)
        }
    }

    /// Files joined with `cat a.gz b.gz` are one gzip file of two members, read whole.
    @Test func multiMemberGzipIsReadWhole() throws {
        let data = IDXFile.encode(dimensions: [4, 2, 2], bytes: Array(0..<16))
        let joined = try Gzip.compress(data.prefix(10)) + Gzip.compress(data.dropFirst(10))
        #expect(try IDXFile(data: joined, name: "f").bytes == Array(0..<16))
    }

    // MARK: - Notebooks, through `caderno run`

    /// (the notebook's text, arguments after the file, the exit status, what stderr says — `NB` is the notebook's path).
    static let notebookCases: [(String, [String], Int32, String)] = [
        ("```caderno\nseed 3\nquit\nseed 4\n```\n", [], 1,
         "NB:3: error: 'quit' leaves the REPL; a notebook runs to its end — remove this line"),
        ("---\nparams:\n  x: 1\n  x: 2\n---\n```caderno\nseed ${x}\n```\n", [], 1, "NB:4: error: the parameter 'x' is given twice"),
        ("---\nparams:\n  lr: 0.1\n---\n```caderno\nseed 1\n```\n", ["-P", "lr=0.5 optimizer=adam"], 1,
         "error: -P lr=0.5 optimizer=adam: a parameter's value is one word or number, without spaces, quotes, '#' or '='"),
        ("---\nparams:\n  name: x\n---\n```caderno\nseed 1\n```\n", ["-P", "name=a#b"], 1,
         "error: -P name=a#b: a parameter's value is one word or number, without spaces, quotes, '#' or '='"),
        ("---\nparams:\n  lr: 0.1\n---\n```caderno\nseed 1\n```\n", ["-P", "rl=0.5"], 1, "error: NB has no parameter 'rl' (did you mean 'lr'?)"),
        ("---\nparams:\n  lr: 0.1\n---\n```caderno\nseed 1\n```\n", ["-P", "lr=fast"], 1,
         "error: -P lr=fast: this parameter is a number (its default is 0.1), got 'fast'"),
        ("```caderno\nseed ${epochs}\n```\n", [], 1, "NB:2: error: unknown parameter 'epochs' (this notebook has no parameters)"),
        ("```caderno\nseed 1\n", [], 1, "NB:1: error: the code fence opened here (```caderno) is never closed"),
        ("```caderno\n#| frobnicate: yes\nseed 1\n```\n", [], 1, "NB:2: error: unknown cell option 'frobnicate'; the options are echo, error, output, tolerance"),
        ("\u{7F}ELF\u{2}\u{1}\u{1}\0\0\0\n```caderno\nseed 1\n```\n", [], 0, ""),
        ("```caderno\nseed " + String(repeating: "1", count: 10 << 20) + "\n```\n", [], 1,
         "NB:2: error: 'n' is too large, at most 999999999999999, got '" + String(repeating: "1", count: 39) + "…" + String(repeating: "1", count: 19) + "' (10485762 characters)"),
        // The ways out of the notebook's folder, each refused.
        ("```caderno\nload idx data\nbuild mlp 36-8-3\nsave model /tmp/outside.safetensors\n```\n", [], 1,
         "NB:4: error: /tmp/outside.safetensors is outside the notebook's folder (DIR): a notebook writes only there — give caderno run --output-dir DIR, or --allow-writes-anywhere if you trust it"),
        ("```caderno\nload idx data\nbuild mlp 36-8-3\nsave model ../outside.safetensors\n```\n", [], 1,
         "NB:4: error: ../outside.safetensors is outside the notebook's folder (DIR): a notebook writes only there — give caderno run --output-dir DIR, or --allow-writes-anywhere if you trust it"),
        ("```caderno\nload idx data\nbuild mlp 36-8-3\nsave model ~/outside.safetensors\n```\n", [], 1,
         "NB:4: error: ~/outside.safetensors is outside the notebook's folder (DIR): a notebook writes only there — give caderno run --output-dir DIR, or --allow-writes-anywhere if you trust it"),
        ("```caderno\nload idx data\nbuild mlp 36-8-3\nsave model escape/m.safetensors\n```\n", [], 1,
         "NB:4: error: escape/m.safetensors is outside the notebook's folder (DIR): a notebook writes only there — give caderno run --output-dir DIR, or --allow-writes-anywhere if you trust it"),
        ("```caderno\nload idx data\nexport /tmp/outside.html\n```\n", [], 1,
         "NB:3: error: /tmp/outside.html is outside the notebook's folder (DIR): a notebook writes only there — give caderno run --output-dir DIR, or --allow-writes-anywhere if you trust it"),
        ("```caderno\nload mnist dir=../elsewhere\n```\n", [], 1,
         "NB:2: error: ../elsewhere is outside the notebook's folder (DIR): a notebook writes only there — give caderno run --output-dir DIR, or --allow-writes-anywhere if you trust it"),
        // A download folder that does not exist yet is judged by where it would be created.
        ("```caderno\nload mnist dir=../not-yet/mnist\n```\n", [], 1,
         "NB:2: error: ../not-yet/mnist is outside the notebook's folder (DIR): a notebook writes only there — give caderno run --output-dir DIR, or --allow-writes-anywhere if you trust it"),
    ]

    @Test(arguments: notebookCases.indices)
    func notebooks(_ index: Int) throws {
        let (text, arguments, status, message) = Self.notebookCases[index]
        let root = try TemporaryDirectory()
        let real = URL(fileURLWithPath: root.path).resolvingSymlinksInPath().path
        TinyIDX.write(into: root)
        for file in try FileManager.default.contentsOfDirectory(atPath: real) { try FileManager.default.moveItem(atPath: real + "/" + file, toPath: real + "/data-" + file) }
        try FileManager.default.createDirectory(atPath: real + "/book/data", withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: real) where file.hasPrefix("data-") {
            try FileManager.default.moveItem(atPath: real + "/" + file, toPath: real + "/book/data/" + file.dropFirst(5))
        }
        try FileManager.default.createDirectory(atPath: real + "/elsewhere", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: real + "/book/escape", withDestinationPath: real + "/elsewhere")
        let notebook = root.write("book/n.nb", Data(text.utf8))
        let before = try Self.listing(real)
        let result = try runPiped(["run", notebook] + arguments, input: "", environment: ["LANG": "C", "HOME": real + "/home"])
        #expect(result.status == status, "\(result.errors.prefix(300))")
        let firstLine = result.errors.split(separator: "\n").first.map(String.init) ?? ""
        let said = firstLine.replacingOccurrences(of: notebook, with: "NB")
            .replacingOccurrences(of: real + "/book", with: "DIR")
        #expect(said == message, "\(said.prefix(300))")
        if status != 0 { #expect(try Self.listing(real) == before, "a refused notebook changed the files") }
    }

    /// A bad `to=` is refused before the command shows anything (it printed a whole table first).
    @Test func aBadPictureFileFailsBeforeAnythingIsShown() throws {
        let h = try SessionHarness()
        try h.run(Stage.trained.setUp)
        for line in ["roc to=r.png", "metrics to=m.svg", "plot confusion to=/no/such/folder/c.svg"] {
            let sink = RecordingSink()
            #expect(throws: CommandError.self) { try h.session.execute(line, output: sink) }
            #expect(sink.blocks.isEmpty, "\(line) showed \(sink.blocks.count) blocks before failing")
        }
    }

    /// `caderno bench`'s own options: a negative number is a value to refuse, not a missing one.
    @Test(arguments: [
        (["--epochs", "-1"], "--epochs must be at least 1, got -1"),
        (["--epochs", "5000"], "--epochs must be at most 1000, got 5000"),
        (["--threads", "100000"], "--threads must be at most \(4 * ProcessInfo.processInfo.activeProcessorCount) (four per core; this machine has \(ProcessInfo.processInfo.activeProcessorCount)), got 100000"),
        (["--threads", "0"], "--threads must be at least 1, got 0"),
        (["nonsense"], "unknown workload 'nonsense': choose mlp, mlp-adam, mlp16, cnn, deep-cnn, gemm or all"),
    ])
    func benchOptions(_ arguments: [String], _ message: String) throws {
        let result = try runPiped(["bench"] + arguments, input: "", environment: ["LANG": "C"])
        #expect(result.status != 0 && result.errors.contains("Error: " + message), "\(result.errors)")
    }

    /// A folder, a pipe, a missing file, a loop of links and binary garbage given as the notebook.
    @Test func notebooksThatAreNotTextFiles() throws {
        let root = try TemporaryDirectory()
        let real = URL(fileURLWithPath: root.path).resolvingSymlinksInPath().path
        try FileManager.default.createDirectory(atPath: real + "/folder.nb", withIntermediateDirectories: true)
        mkfifo(real + "/pipe.nb", 0o644)
        try FileManager.default.createSymbolicLink(atPath: real + "/a.nb", withDestinationPath: "b.nb")
        try FileManager.default.createSymbolicLink(atPath: real + "/b.nb", withDestinationPath: "a.nb")
        root.write("garbage.nb", Data((0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7919 >> 3) | 0x80 }))
        for (name, reason) in [("folder.nb", "it is a folder, not a file"), ("pipe.nb", "it is not a plain file (a device, a pipe or a socket)"),
                               ("missing.nb", "no such file"), ("a.nb", "the path goes round a loop of symbolic links"),
                               ("garbage.nb", "it is not UTF-8 text")] {
            let result = try runPiped(["run", real + "/" + name], input: "", environment: ["LANG": "C"])
            #expect(result.status == 1 && result.errors == "error: cannot read \(real)/\(name): \(reason)\n", "\(name): \(result.errors)")
        }
    }

    /// `--output-dir` takes the writes (and reads them back); `--allow-writes-anywhere` lifts the rule.
    @Test func outputFolderAndTrust() throws {
        let root = try TemporaryDirectory()
        let real = URL(fileURLWithPath: root.path).resolvingSymlinksInPath().path
        TinyIDX.write(into: root)
        try FileManager.default.createDirectory(atPath: real + "/out", withIntermediateDirectories: true)
        let notebook = root.write("n.nb", Data("```caderno\nload idx .\nbuild mlp 36-8-3\nsave model m.safetensors\nload model m.safetensors\nsummary\n```\n".utf8))
        let inOutput = try runPiped(["run", notebook, "--output-dir", real + "/out"], input: "", environment: ["LANG": "C"])
        #expect(inOutput.status == 0, "\(inOutput.errors)")
        #expect(FileManager.default.fileExists(atPath: real + "/out/m.safetensors") && !FileManager.default.fileExists(atPath: real + "/m.safetensors"))
        let elsewhere = try TemporaryDirectory()
        let outside = elsewhere.path + "/elsewhere.safetensors"
        let trusting = root.write("t.nb", Data("```caderno\nload idx .\nbuild mlp 36-8-3\nsave model \(outside)\n```\n".utf8))
        #expect(try runPiped(["run", trusting], input: "", environment: ["LANG": "C"]).status == 1)
        let trusted = try runPiped(["run", trusting, "--allow-writes-anywhere"], input: "", environment: ["LANG": "C"])
        #expect(trusted.status == 0 && FileManager.default.fileExists(atPath: outside), "\(trusted.errors)")
        let missing = try runPiped(["run", notebook, "--output-dir", real + "/none"], input: "", environment: ["LANG": "C"])
        #expect(missing.status != 0 && missing.errors.contains("--output-dir takes an existing folder, got '\(real)/none'"), "\(missing.errors)")
    }

    /// A notebook written on Windows (CRLF) runs like any other.
    @Test func windowsLineEndingsRun() throws {
        let root = try TemporaryDirectory()
        let notebook = root.write("w.nb", Data("# T\r\n\r\n```caderno\r\nseed 3\r\n```\r\n".utf8))
        let result = try runPiped(["run", notebook], input: "", environment: ["LANG": "C"])
        #expect(result.status == 0 && result.output.contains("Seed 3:"), "\(result.output)")
    }

    /// Stands for the session's folder in the table (each run has its own).
    static let placeholder = "\u{0}FOLDER\u{0}"

    /// Every file below `folder` with its size, modification time and contents' hash.
    static func listing(_ folder: String) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: folder).sorted().map { name in
            var info = stat()
            lstat(folder + "/" + name, &info)
            let contents = (info.st_mode & S_IFMT) == S_IFREG ? (FileManager.default.contents(atPath: folder + "/" + name) ?? Data()) : Data()
            return "\(name) \(info.st_mode) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(MD5.hex(of: contents))"
        }
    }
}
