import Core
import Foundation

/// The kernel spec Jupyter looks for (`jupyter kernelspec list`): a `kernels/caderno` folder with
/// `kernel.json`, which tells Jupyter how to start `caderno kernel -f CONNECTION_FILE`, and a logo.
public enum KernelSpec {
    public static let name = "caderno"
    static let displayName = "Caderno"
    /// What a notebook's metadata and `kernel_info` say of the language. Pygments has no lexer for
    /// it: `text` says so, where `jupyter console` and nbconvert would otherwise warn.
    static var languageInfo: [String: Any] {
        ["name": "caderno", "version": cadernoVersion, "mimetype": "text/x-caderno", "file_extension": ".nb", "pygments_lexer": "text"]
    }
    /// What a notebook's metadata names, so Jupyter runs it with this kernel.
    static var notebookKernelspec: [String: Any] { ["name": name, "display_name": displayName, "language": "caderno"] }

    /// Where a spec goes: the user's Jupyter data folder, or `PREFIX/share/jupyter` (a virtual
    /// environment's, or any folder named in JUPYTER_PATH).
    public enum Place: Sendable, Equatable {
        case user
        case prefix(String)

        /// The Jupyter data folder, as jupyter_core finds it: $JUPYTER_DATA_DIR, else
        /// $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter (~/Library/Jupyter on macOS).
        func dataFolder(_ environment: [String: String]) -> String {
            switch self {
            case .prefix(let prefix): return (prefix as NSString).standardizingPath + "/share/jupyter"
            case .user:
                if let folder = environment["JUPYTER_DATA_DIR"], !folder.isEmpty { return folder }
                let home = environment["HOME"] ?? NSHomeDirectory()
                #if os(macOS)
                return home + "/Library/Jupyter"
                #else
                let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.local/share"
                return data + "/jupyter"
                #endif
            }
        }
    }

    public static func folder(_ place: Place, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        place.dataFolder(environment) + "/kernels/" + name
    }

    /// Writes the spec for `binary` (an absolute path); returns its folder.
    @discardableResult
    public static func install(_ place: Place, binary: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let folder = folder(place, environment: environment)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try AtomicFile.write(kernelJSON(binary: binary), to: folder + "/kernel.json")
        try AtomicFile.write(Data(logo.utf8), to: folder + "/logo-svg.svg")
        return folder
    }

    /// Removes the spec; returns its folder, or nil when there was none.
    @discardableResult
    public static func uninstall(_ place: Place, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        let folder = folder(place, environment: environment)
        guard FileManager.default.fileExists(atPath: folder + "/kernel.json") else { return nil }
        try FileManager.default.removeItem(atPath: folder)
        return folder
    }

    static func kernelJSON(binary: String) -> Data {
        let spec: [String: Any] = [
            "argv": [binary, "kernel", "-f", "{connection_file}"],
            "display_name": displayName, "language": "caderno",
            // Jupyter interrupts with SIGINT, the signal the training loop already heeds (Ctrl-C).
            "interrupt_mode": "signal",
            "metadata": ["debugger": false],
        ]
        return (try? JSONSerialization.data(withJSONObject: spec, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// A notebook page with a small network on it: the launcher's tile.
    static let logo = """
        <svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
        <rect x="8" y="4" width="48" height="56" rx="5" fill="#1f5fa8"/>
        <rect x="13" y="9" width="38" height="46" rx="2" fill="#fff"/>
        <g stroke="#1f5fa8" stroke-width="1.6">
        <line x1="21" y1="20" x2="32" y2="26"/><line x1="21" y1="20" x2="32" y2="38"/>
        <line x1="21" y1="32" x2="32" y2="26"/><line x1="21" y1="32" x2="32" y2="38"/>
        <line x1="21" y1="44" x2="32" y2="26"/><line x1="21" y1="44" x2="32" y2="38"/>
        <line x1="32" y1="26" x2="43" y2="32"/><line x1="32" y1="38" x2="43" y2="32"/>
        </g>
        <g fill="#1f5fa8"><circle cx="21" cy="20" r="3.2"/><circle cx="21" cy="32" r="3.2"/><circle cx="21" cy="44" r="3.2"/>
        <circle cx="32" cy="26" r="3.2"/><circle cx="32" cy="38" r="3.2"/><circle cx="43" cy="32" r="3.6" fill="#e07b1f"/></g>
        </svg>

        """
}
