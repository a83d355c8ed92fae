import ArgumentParser
import Foundation
import Notebook

/// `caderno kernel`: Caderno inside Jupyter.
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Run Caderno as a Jupyter kernel (Jupyter starts it), or install its kernel spec.",
        discussion: """
            caderno kernel install writes the kernel spec where Jupyter finds it; then open JupyterLab \
            (or VS Code, or nbclient) and pick "Caderno". Jupyter itself runs caderno kernel -f FILE.
            """,
        subcommands: [Install.self, Uninstall.self]
    )

    @Option(name: .customShort("f"), help: ArgumentHelp("The connection file Jupyter wrote.", valueName: "CONNECTION_FILE"))
    var connectionFile: String?

    @Option(name: .customLong("lang"), help: ArgumentHelp("Speak en or pt (default: LC_ALL, LC_MESSAGES or LANG).", valueName: "en|pt"))
    var language: Language?

    func run() throws {
        guard let connectionFile else {
            throw ValidationError(tr("Jupyter starts the kernel with -f CONNECTION_FILE; to make it known to Jupyter: caderno kernel install"))
        }
        try Language.$current.withValue(language ?? Language.current) {
            try Kernel(connectionFile: connectionFile).run()
        }
    }

    /// Where the spec goes, as `jupyter kernelspec install` says it.
    struct Place: ParsableArguments {
        @Flag(help: "In your own Jupyter data folder (the default).")
        var user = false

        @Option(help: ArgumentHelp("Under PREFIX/share/jupyter (a virtual environment's prefix, say).", valueName: "PREFIX"))
        var prefix: String?

        func validate() throws {
            if user && prefix != nil { throw ValidationError(tr("--user and --prefix go separately: choose one place")) }
        }

        var place: KernelSpec.Place { prefix.map { .prefix($0) } ?? .user }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the Caderno kernel spec where Jupyter finds it.")
        @OptionGroup var location: Place

        func run() throws {
            let binary = Bundle.main.executableURL?.resolvingSymlinksInPath().path ?? CommandLine.arguments[0]
            let folder = try KernelSpec.install(location.place, binary: binary)
            say(tr("Installed the Caderno kernel in \(folder). Open JupyterLab (or VS Code) and pick “Caderno”."))
        }
    }

    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the Caderno kernel spec.")
        @OptionGroup var location: Place

        func run() throws {
            let folder = KernelSpec.folder(location.place)
            guard try KernelSpec.uninstall(location.place) != nil else {
                throw KernelError(tr("there is no Caderno kernel spec in \(folder)"))   // a fact, not a usage mistake
            }
            say(tr("Removed \(folder)."))
        }
    }
}
