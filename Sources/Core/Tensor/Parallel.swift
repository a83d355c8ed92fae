import Foundation
import Synchronization

/// Splits 0..<count into `parts` contiguous chunks and runs `body` on each at once: the calling
/// thread takes the first, the pool's helpers the rest. For matrix products split by rows or
/// columns, and the element-wise work between them (im2col, transposes, pooling), which would
/// otherwise run on one core. Chunks must write disjoint memory.
///
/// Small jobs (`count` below `minimum`) run inline, and so does a job started while the pool is
/// busy — from another thread, or from inside a chunk — so callers never wait on one another.
@inline(__always)
func parallelFor(_ count: Int, minimum: Int = 2, parts: Int = BLAS.threads, _ body: (Range<Int>) -> Void) {
    let chunks = min(parts, count, WorkerPool.shared.helpers + 1)
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
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(helpers: Parallel.cores - 1)

    let helpers: Int
    /// Bumped to publish a job; helpers compare it with the last one they ran.
    private let generation = Atomic<Int>(0)
    /// Helpers that have not yet finished (or, without a chunk, acknowledged) the current job.
    private let pending = Atomic<Int>(0)
    /// Taken by the thread that runs a job, so jobs never overlap.
    private let busy = Atomic<Bool>(false)
    /// The current job and its number of chunks; written only while `busy`, before `generation` is bumped.
    private var job: ((Int) -> Void)?
    private var chunks = 0
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

    /// Runs `body(0)` … `body(parts − 1)` at once, `body(0)` on this thread; returns when all are done.
    func run(_ parts: Int, _ body: (Int) -> Void) {
        guard parts > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for part in 0..<parts { body(part) }
            return
        }
        withoutActuallyEscaping(body) { body in
            job = body
            chunks = parts
            pending.store(helpers, ordering: .relaxed)   // every helper acknowledges, chunk or not
            generation.add(1, ordering: .releasing)
            wake.lock()
            if sleeping > 0 { wake.broadcast() }
            wake.unlock()
            body(0)
            while pending.load(ordering: .acquiring) > 0 {}
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    private func serve(helper: Int) {
        var seen = 0
        while true {
            let started = DispatchTime.now().uptimeNanoseconds
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins & 1023 == 0 && DispatchTime.now().uptimeNanoseconds - started > Self.spinNanoseconds {
                    wake.lock()
                    sleeping += 1
                    while generation.load(ordering: .acquiring) == seen { wake.wait() }
                    sleeping -= 1
                    wake.unlock()
                }
            }
            seen = generation.load(ordering: .acquiring)
            if helper < chunks, let job { job(helper) }
            pending.subtract(1, ordering: .releasing)
        }
    }
}
