import Foundation

/// How much memory the machine can give, so that a size nobody can allocate is refused with a
/// sentence before it is tried (Swift stops the process when an allocation fails).
public enum Memory {
    /// Bytes available now: Linux's MemAvailable (free plus reclaimable cache), else the physical
    /// memory; and never more than a cgroup's limit (a container's), when there is one.
    public static var available: Int {
        var bytes = physical
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") {
            bytes = kilobytes * 1024
        }
        for file in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
               let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                bytes = min(bytes, limit)
            }
        }
        return bytes
    }

    public static var physical: Int { Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// 313600000032 → "292 GB"; 52428800 → "50 MB".
    public static func describe(_ bytes: Int) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB", "PB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) bytes" : String(format: value < 10 ? "%.1f " : "%.0f ", value) + units[unit]
    }

    public struct Shortage: Explained, Equatable {
        public let what: Message
        public let needed: Int
        public let available: Int
        public var message: Message { "\(what) needs \(Memory.describe(needed)) of memory; this machine has \(Memory.describe(available)) available" }
    }

    /// Throws when `bytes` (saturating arithmetic: Int.max means "more than anything") does not
    /// fit in what is available; `what` names the thing in the sentence.
    public static func require(_ bytes: Int, for what: Message) throws {
        let free = available
        guard bytes <= free else { throw Shortage(what: what, needed: bytes, available: free) }
    }

    /// a × b × …, or Int.max when the product overflows.
    public static func product(_ factors: [Int]) -> Int {
        factors.reduce(1) { product, factor in
            let (result, overflow) = product.multipliedReportingOverflow(by: max(factor, 0))
            return overflow ? .max : result
        }
    }
}
