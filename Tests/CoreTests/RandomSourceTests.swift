@testable import Core
import Testing

@Suite struct RandomSourceTests {
    @Test func xoshiroSeededBySplitMix() {
        // The first numbers of seed 42, computed by an independent Python transcription of the
        // authors' reference code (SplitMix64 for the state, then xoshiro256**).
        let random = RandomSource(seed: 42)
        #expect((0..<3).map { _ in random.next() } == [0x1578_0b2e_0c2e_c716, 0x6104_d986_6d11_3a7e, 0xae17_5332_39e4_99a1])
    }

    @Test func drawingManyGivesWhatNextGives() {
        let one = RandomSource(seed: 7), many = RandomSource(seed: 7)
        var drawn: [UInt64] = []
        many.draw(1_001) { index, value in
            #expect(index == drawn.count)
            drawn.append(value)
        }
        #expect(drawn == (0..<1_001).map { _ in one.next() })
        #expect(many.position == one.position)
    }

    @Test(arguments: [Float(0.1), 0.4, 0.5])
    func dropoutsMaskIsFourDecisionsPerDraw(rate: Float) {
        // The rule the recorded notebooks were trained with: 16 bits per decision, lowest first,
        // dropped below rate · 65,536, the survivors scaled by 1/(1 − rate) — bit for bit.
        let x = Tensor(repeating: 1, shape: [3, 67])   // 201 elements: the last draw is used in part
        let y = Dropout(rate, random: RandomSource(seed: 3)).forward(x, training: true)
        let random = RandomSource(seed: 3)
        let threshold = UInt64((rate * 65_536).rounded())
        var expected: [Float] = []
        while expected.count < x.count {
            let bits = random.next()
            for lane in 0..<4 where expected.count < x.count {
                expected.append((bits >> (16 * UInt64(lane))) & 0xFFFF < threshold ? 0 : 1 / (1 - rate))
            }
        }
        #expect(y.scalars.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(y.scalars.contains(0) && y.scalars.contains { $0 > 1 })
    }

    @Test func aReusedMaskIsTheNewBatchs() {
        // The mask's storage is kept from batch to batch: the second batch must get its own
        // draws, and the backward pass the mask of the batch just run.
        let layer = Dropout(0.5, random: RandomSource(seed: 3))
        let ones = Tensor(repeating: 1, shape: [4, 50])
        let first = layer.forward(ones, training: true)
        let second = layer.forward(ones, training: true)
        #expect(first != second)
        #expect(layer.backward(ones) == second)
        let again = Dropout(0.5, random: RandomSource(seed: 3))
        _ = again.forward(ones, training: true)
        #expect(again.forward(ones, training: true) == second)   // the same stream, batch by batch
    }
}
