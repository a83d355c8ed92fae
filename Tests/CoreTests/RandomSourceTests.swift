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

    @Test func dropoutsMaskIsFourDecisionsPerDraw() {
        // The rule the recorded notebooks were trained with: 16 bits per decision, lowest first.
        let x = Tensor(repeating: 1, shape: [3, 7])   // 21 elements: the last draw is used in part
        let y = Dropout(0.5, random: RandomSource(seed: 3)).forward(x, training: true)
        let random = RandomSource(seed: 3)
        var expected: [Float] = []
        while expected.count < 21 {
            let bits = random.next()
            for lane in 0..<4 where expected.count < 21 {
                expected.append((bits >> (16 * UInt64(lane))) & 0xFFFF < 32_768 ? 0 : 2)
            }
        }
        #expect(y.scalars == expected)
    }
}
