import Core
import Foundation
import Synchronization

/// Trains a sweep's runs, several at once on their own threads when asked. Every run starts from
/// its own copy of the model and a random source at the same position, so a run's numbers do not
/// depend on which others ran beside it. The calling thread only watches: it shows progress,
/// passes Ctrl-C on, and reports finished runs in the sweep's order.
final class SweepRunner: @unchecked Sendable {
    /// A run that finished (or diverged), with what `keep=best` needs to make it the model.
    struct Finished {
        let run: SweepRun
        let model: Sequential
        let compiled: Session.Compiled
        let randomPosition: RandomSource.Position
        let seconds: Double
    }

    final class Slot: @unchecked Sendable {
        let plan: Sweep.Plan
        let token = CancellationToken()
        /// The batch in progress, for the progress line.
        let position = Mutex<(epoch: Int, batch: Int)>((0, 0))
        /// Written by the run's thread before it counts the run as done (`done`'s lock orders it).
        var result: Finished?
        var failure: String?
        init(plan: Sweep.Plan) { self.plan = plan }
    }

    let slots: [Slot]
    private let train: LabeledData
    private let validation: LabeledData?
    private let test: LabeledData?
    private let augmentation: Augmentation?
    private let shuffle: Bool
    private let start: RandomSource.Position
    private let done = Mutex<[Bool]>([])

    init(plans: [Sweep.Plan], train: LabeledData, validation: LabeledData?, test: LabeledData?,
         augmentation: Augmentation?, shuffle: Bool, start: RandomSource.Position) {
        slots = plans.map(Slot.init)
        (self.train, self.validation, self.test, self.augmentation, self.shuffle, self.start)
            = (train, validation, test, augmentation, shuffle, start)
        done.withLock { $0 = Array(repeating: false, count: plans.count) }
    }

    func batches(_ plan: Sweep.Plan) -> Int { (train.count + plan.batch - 1) / plan.batch }

    /// Runs every slot, `atOnce` at a time; returns true if Ctrl-C stopped it. `finished` is
    /// called on this thread, in the sweep's order, as runs end.
    func run(atOnce: Int, interruptRequested: () -> Bool, finished: (Finished) -> Void, progress: (Progress?) -> Void) -> Bool {
        // Runs side by side each take one core; one run alone splits its products across all of them.
        let savedThreads = BLAS.threads
        if atOnce > 1 { BLAS.threads = 1 }
        defer { BLAS.threads = savedThreads }

        let next = Atomic<Int>(0), stopped = Atomic<Bool>(false)
        let workersLeft = DispatchSemaphore(value: 0)
        for _ in 0..<atOnce {
            let worker = Thread { [self] in
                while !stopped.load(ordering: .relaxed) {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < slots.count else { break }
                    train(slots[index])
                    done.withLock { $0[index] = true }
                }
                workersLeft.signal()
            }
            worker.stackSize = 8 << 20
            worker.start()
        }

        let started = DispatchTime.now()
        let total = slots.reduce(0) { $0 + $1.plan.epochs * batches($1.plan) }
        var reported = 0, workersRunning = atOnce, interrupted = false
        while workersRunning > 0 {
            if workersLeft.wait(timeout: .now() + .milliseconds(100)) == .success { workersRunning -= 1 }
            if !interrupted && interruptRequested() {
                interrupted = true
                stopped.store(true, ordering: .relaxed)
                for slot in slots { slot.token.cancel() }
            }
            let flags = done.withLock { $0 }
            while reported < slots.count && flags[reported] {
                if let result = slots[reported].result { finished(result) }
                reported += 1
            }
            if !interrupted { progress(overall(flags, total: total, started: started)) }
        }
        return interrupted
    }

    /// One bar for the whole sweep; its text names the runs under way.
    private func overall(_ flags: [Bool], total: Int, started: DispatchTime) -> Progress {
        var doneBatches = 0
        var running: [(String, Int, Int)] = []
        for (slot, isDone) in zip(slots, flags) {
            let perEpoch = batches(slot.plan)
            if isDone { doneBatches += slot.plan.epochs * perEpoch; continue }
            let (epoch, batch) = slot.position.withLock { $0 }
            guard epoch > 0 else { continue }
            doneBatches += (epoch - 1) * perEpoch + batch
            running.append((slot.plan.label, epoch, slot.plan.epochs))
        }
        let elapsed = seconds(since: started)
        return Progress(label: tr("Sweep"), done: doneBatches, total: total,
                        detail: running.map { tr("\($0.0) epoch \($0.1)/\($0.2)") }.joined(separator: " · "),
                        secondsLeft: doneBatches > 0 ? elapsed / Double(doneBatches) * Double(total - doneBatches) : nil)
    }

    /// One run, on the calling (worker) thread.
    private func train(_ slot: Slot) {
        let plan = slot.plan
        let random = RandomSource(seed: 0)
        random.position = start
        let trainer = Trainer(model: plan.model, loss: plan.compiled.loss, optimizer: plan.compiled.optimizer, random: random)
        var records: [EpochRecord] = []
        let started = DispatchTime.now()
        let outcome: SweepRun.Outcome
        do {
            let result = try trainer.fit(train, validation: validation, epochs: plan.epochs, batchSize: plan.batch,
                                         shuffle: shuffle, augmentation: augmentation,
                                         earlyStopping: plan.earlyStop.map(EarlyStopping.init), cancellation: slot.token) { event in
                switch event {
                case let .batchEnded(report): slot.position.withLock { $0 = (report.epoch, report.batch) }
                case let .epochEnded(record): records.append(record)
                }
            }
            if result.ending == .cancelled { return }   // interrupted: not a row of the table
            outcome = result.ending == .stoppedEarly ? .stoppedEarly : .completed
        } catch TrainingError.diverged(let epoch, _, _), TrainingError.weightsDiverged(let epoch, _) {
            outcome = .diverged(epoch: epoch)
        } catch {
            slot.failure = "\(plan.label): \(tr(error: error))"
            return
        }
        let diverged = if case .diverged = outcome { true } else { false }
        let testAccuracy = diverged ? nil : test.map { trainer.evaluate($0).accuracy }
        slot.result = Finished(run: SweepRun(label: plan.label, history: records, testAccuracy: testAccuracy, outcome: outcome),
                               model: plan.model, compiled: plan.compiled, randomPosition: random.position,
                               seconds: seconds(since: started))
    }
}
