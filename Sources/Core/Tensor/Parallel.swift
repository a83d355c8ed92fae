import Foundation
import Synchronization

/// Splits 0..<count into `parts` contiguous chunks and runs `body` on each at once, on the
/// calling thread and the pool's helpers. For matrix products split by rows or
/// columns, and the element-wise work between them (im2col, transposes, pooling), which would
/// otherwise run on one core. Chunks must write disjoint memory.
///
/// Small jobs (`count` below `minimum`) run inline, and so does a job started while the pool is
/// busy — from another thread, or from inside a chunk — so callers never wait on one another.
@inline(__always)
func parallelFor(_ count: Int, minimum: Int = 2, parts: Int = BLAS.threads, _ body: (Range<Int>) -> Void) {
    let chunks = min(parts, count, WorkerPool.shared.helpers + 1, WorkerPool.maximumChunks)
    guard chunks > 1, count >= minimum else {
        body(0..<count)
        return
    }
    WorkerPool.shared.run(chunks) { chunk in
        body(chunk * count / chunks ..< (chunk + 1) * count / chunks)
    }
}

public enum Parallel {
    public static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
}

/// One helper thread per extra core. A helper spins for a short while after each job, so the
/// next one — a training step runs dozens — starts within a microsecond instead of waiting for
/// the kernel to wake it; then it sleeps. It is the process's only pool of compute threads (BLAS
/// runs single-threaded inside it), so its spinning never takes a core from other work of ours.
///
/// Chunks are claimed, not just handed out: each thread claims its own first (the caller chunk 0,
/// helper h chunk h, so the same rows stay in the same core's cache from one product to the
/// next), then any left unclaimed. A helper that is late — asleep, or descheduled on a loaded
/// machine — costs little: after a short wait the caller runs its chunk. Which thread runs a
/// chunk never changes what it computes.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(helpers: Parallel.cores - 1)

    let helpers: Int
    /// The current job in one word — its generation (bits 40…62), its number of chunks (32…39)
    /// and which chunks are claimed (one bit each, 0…31) — so a thread claims only chunks of the
    /// job it saw.
    private let claims = Atomic<Int>(0)
    static let maximumChunks = 32
    /// Chunks of the current job finished.
    private let finished = Atomic<Int>(0)
    /// Taken by the thread that runs a job, so jobs never overlap.
    private let busy = Atomic<Bool>(false)
    /// The current job; written only while `busy`, before `claims` publishes it, and read only
    /// by a thread holding one of its chunks (so never after the job returns).
    private var job: ((Int) -> Void)?
    private let wake = NSCondition()
    private var sleeping = 0

    /// How long a helper spins for the next job before sleeping.
    private static let spinNanoseconds: UInt64 = 2_000_000

    init(helpers: Int) {
        self.helpers = helpers
        for index in 0..<helpers {
            let thread = Thread { [unowned self] in self.serve(helper: index + 1) }
            thread.name = "caderno-worker-\(index + 1)"
            thread.start()
        }
    }

    /// Runs `body(0)` … `body(parts − 1)` at once, on this thread and the helpers; returns when all are done.
    func run(_ parts: Int, _ body: (Int) -> Void) {
        guard parts > 1, parts <= Self.maximumChunks, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for part in 0..<parts { body(part) }
            return
        }
        withoutActuallyEscaping(body) { body in
            job = body
            finished.store(0, ordering: .relaxed)
            // Only the thread holding `busy` publishes, so the next generation follows from the word.
            let generation = (claims.load(ordering: .relaxed) >> 40 + 1) & 0x7F_FFFF
            claims.store(generation << 40 | parts << 32, ordering: .releasing)
            wake.lock()
            if sleeping > 0 { wake.broadcast() }
            wake.unlock()
            work(on: generation, own: 0, othersToo: false, body)
            // The helpers' chunks: a chunk still unclaimed after a while (its helper asleep, or
            // descheduled) is run here. Not at once: a helper a few hundred nanoseconds late
            // would otherwise lose its chunk, and its rows would move to this core's cache.
            var waited = 0
            while finished.load(ordering: .acquiring) < parts {
                waited += 1
                if waited == Self.patience { work(on: generation, own: 0, body) }
            }
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Polls of a waiting caller (some 10–20 µs) before it takes chunks no helper has claimed.
    private static let patience = 1 << 13

    /// Claims and runs chunks of job `generation` — chunk `own` first, then (`othersToo`) any
    /// left — until none is left.
    private func work(on generation: Int, own: Int, othersToo: Bool = true, _ body: (Int) -> Void) {
        var current = claims.load(ordering: .acquiring)
        while current >> 40 == generation {
            let count = (current >> 32) & 0xFF
            let free = ~current & (1 << count - 1)
            if free == 0 { return }
            let ownIsFree = own < count && free & 1 << own != 0
            if !ownIsFree && !othersToo { return }
            let chunk = ownIsFree ? own : free.trailingZeroBitCount
            let (claimed, seen) = claims.compareExchange(expected: current, desired: current | 1 << chunk, ordering: .acquiringAndReleasing)
            if claimed {
                body(chunk)
                finished.add(1, ordering: .releasing)
                current |= 1 << chunk
            } else {
                current = seen
            }
        }
    }

    private func serve(helper: Int) {
        var seen = 0
        while true {
            let started = DispatchTime.now().uptimeNanoseconds
            var spins = 0
            while claims.load(ordering: .acquiring) >> 40 == seen {
                spins += 1
                if spins & 1023 == 0 && DispatchTime.now().uptimeNanoseconds - started > Self.spinNanoseconds {
                    wake.lock()
                    sleeping += 1
                    while claims.load(ordering: .acquiring) >> 40 == seen { wake.wait() }
                    sleeping -= 1
                    wake.unlock()
                }
            }
            seen = claims.load(ordering: .acquiring) >> 40
            // A claimed chunk keeps the job alive until it is finished, so `job` is still this one's.
            work(on: seen, own: helper) { chunk in job!(chunk) }
        }
    }
}
